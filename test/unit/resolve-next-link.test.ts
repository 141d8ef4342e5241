import { SyncError } from "../../src/errors.js";
import { resolveNextLink, type PageRequest } from "../../src/zephr/export/resolve-next-link.js";

const base = "https://acme.api.zephr.com";
const current: PageRequest = {
  path: "/v3/user-export",
  query: "attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z&rpp=500&page=1",
};

function refused(link: string, baseUrl = base): SyncError {
  try {
    resolveNextLink(baseUrl, current, link);
  } catch (error) {
    if (error instanceof SyncError) return error;
    throw error;
  }
  throw new Error(`${link} was followed`);
}

describe("following links.next", () => {
  test("an absolute link on ZEPHR_BASE_URL's host is sent with its query byte for byte", () => {
    const link = `${base}/v3/user-export?attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z&rpp=20&page=2`;
    expect(resolveNextLink(base, current, link)).toEqual({
      path: "/v3/user-export",
      query: "attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z&rpp=20&page=2",
    });
  });

  test("a relative link resolves against the page it came with, under a base URL with a path", () => {
    const withPath = "https://proxy.example.com/zephr/";
    expect(
      resolveNextLink(
        withPath,
        current,
        "user-export?page=2&rpp=20&attributes=true&grants=true&since=2024-01-01T00:00:00Z",
      ),
    ).toEqual({
      path: "/v3/user-export",
      query: "page=2&rpp=20&attributes=true&grants=true&since=2024-01-01T00:00:00Z",
    });
    expect(resolveNextLink(withPath, current, "/zephr/v3/user-export?page=3").query).toBe(
      "page=3&attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z",
    );
  });

  test("filters the link leaves out are added back as this export sent them", () => {
    expect(resolveNextLink(base, current, "/v3/user-export?rpp=20&page=2").query).toBe(
      "rpp=20&page=2&attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z",
    );
  });

  test("the same instant written another way is the same filter", () => {
    const link = "/v3/user-export?since=2024-01-01T00:00:00.000Z&attributes=TRUE&grants=true&page=2";
    expect(resolveNextLink(base, current, link).query).toBe(
      "since=2024-01-01T00:00:00.000Z&attributes=TRUE&grants=true&page=2",
    );
  });

  test.each([
    [
      "another host",
      "https://evil.example.com/v3/user-export?page=2",
      /points to https:\/\/evil\.example\.com/,
    ],
    ["another scheme", "http://acme.api.zephr.com/v3/user-export?page=2", /points to http:\/\/acme/],
    ["another port", "https://acme.api.zephr.com:8443/v3/user-export?page=2", /acme\.api\.zephr\.com:8443/],
    ["another path", "/v3/users?page=2", /names the path "\/v3\/users"/],
    [
      "another since",
      "/v3/user-export?page=2&since=2025-01-01T00:00:00Z",
      /since=2025-01-01T00:00:00Z where this export asked for 2024/,
    ],
    ["no grants", "/v3/user-export?page=2&grants=false", /grants=false where this export asked for true/],
    [
      "a filter this export did not send",
      "/v3/user-export?page=2&registeredSince=2020-01-01T00:00:00Z",
      /adds registeredSince/,
    ],
    ["not a URL", "http://[::1", /is not a URL/],
  ])("a link to %s is refused, with a message that says what to check", (_what, link, message) => {
    const error = refused(link);
    expect(error.code).toBe("EXPORT_PAGING");
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/watermark is unchanged/);
    expect(error.transient).toBe(false);
  });
});
