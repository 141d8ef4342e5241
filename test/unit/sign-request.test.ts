import {
  buildAuthorizationHeader,
  computeRequestHash,
  parseAuthorizationHeader,
} from "../../src/zephr/http/sign-request.js";
import { buildExportQuery, formatInstant } from "../../src/zephr/export/export-query.js";

const vectorQuery = "attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z&rpp=500&page=1";

describe("ZEPHR-HMAC-SHA256 signing", () => {
  test("the documented test vector hashes to the documented digest", () => {
    const hash = computeRequestHash(
      "my-secret-key",
      { method: "GET", path: "/v3/user-export", query: vectorQuery, body: "" },
      "1700000000000",
      "5f1c2b3a-0000-4000-8000-000000000001",
    );
    expect(hash).toBe("3239bd035be530f61c8266bd1030191cd8cc5b9ee2b41ab861fea6ace97edb54");
  });

  test("the header carries access key, timestamp, nonce and hash in that order", () => {
    const header = buildAuthorizationHeader(
      { accessKey: "my-access-key", secretKey: "my-secret-key" },
      { method: "get", path: "/v3/user-export", query: vectorQuery, body: "" },
      1700000000000,
      "5f1c2b3a-0000-4000-8000-000000000001",
    );
    expect(header).toBe(
      "ZEPHR-HMAC-SHA256 my-access-key:1700000000000:5f1c2b3a-0000-4000-8000-000000000001:" +
        "3239bd035be530f61c8266bd1030191cd8cc5b9ee2b41ab861fea6ace97edb54",
    );
    expect(parseAuthorizationHeader(header)).toEqual({
      accessKey: "my-access-key",
      timestampMs: "1700000000000",
      nonce: "5f1c2b3a-0000-4000-8000-000000000001",
      hash: "3239bd035be530f61c8266bd1030191cd8cc5b9ee2b41ab861fea6ace97edb54",
    });
  });

  test("every request gets a fresh nonce", () => {
    const keys = { accessKey: "a", secretKey: "s" };
    const request = { method: "GET", path: "/v3/user-export", query: "", body: "" };
    expect(buildAuthorizationHeader(keys, request, 1)).not.toBe(buildAuthorizationHeader(keys, request, 1));
  });
});

describe("the export query", () => {
  test("is built in the documented order with the colon of since percent-encoded", () => {
    const query = buildExportQuery({
      window: { sinceMs: Date.parse("2024-01-01T00:00:00Z") },
      pageSize: 500,
      page: 1,
      instantPrecision: "seconds",
    });
    expect(query).toBe(vectorQuery);
  });

  test("omits since on a full export and adds the registration window when asked", () => {
    const query = buildExportQuery({
      window: {
        registeredSinceMs: Date.parse("2020-01-01T00:00:00Z"),
        registeredBeforeMs: Date.parse("2020-02-01T00:00:00.250Z"),
      },
      pageSize: 20,
      page: 3,
      instantPrecision: "milliseconds",
    });
    expect(query).toBe(
      "attributes=true&grants=true&registeredSince=2020-01-01T00%3A00%3A00.000Z" +
        "&registeredBefore=2020-02-01T00%3A00%3A00.250Z&rpp=20&page=3",
    );
  });

  test("instants in seconds are floored so the window only widens", () => {
    expect(formatInstant(Date.parse("2024-05-06T07:08:09.999Z"), "seconds")).toBe("2024-05-06T07:08:09Z");
  });
});
