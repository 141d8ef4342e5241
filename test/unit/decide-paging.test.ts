import type { EnvelopeSummary } from "../../src/zephr/json/export-body-parser.js";
import { decidePaging, pagingPageSize, type PageSeen } from "../../src/zephr/export/decide-paging.js";

const bare: EnvelopeSummary = {
  kind: "array",
  hasLinks: false,
  hasMeta: false,
  next: undefined,
  lastPage: undefined,
  paginated: undefined,
  totalCount: undefined,
  pageSize: undefined,
};
const object: EnvelopeSummary = { ...bare, kind: "object", hasLinks: true, hasMeta: true };

function seen(overrides: Partial<PageSeen>): PageSeen {
  return {
    page: 1,
    elements: 20,
    elementsSoFar: 20,
    repeated: false,
    summary: object,
    pageSize: 500,
    requestedPageSize: 500,
    ...overrides,
  };
}

describe("deciding whether another page follows", () => {
  test("links.next decides over a page shorter than asked for: the server caps the page size", () => {
    const summary = {
      ...object,
      next: { url: "/v3/user-export?page=2", page: 2 },
      pageSize: 20,
      totalCount: 400,
    };
    expect(decidePaging(seen({ summary }))).toEqual({ kind: "follow", url: "/v3/user-export?page=2" });
  });

  test("a next link without a URL names the page to ask for", () => {
    const summary = { ...object, next: { url: undefined, page: 7 } };
    expect(decidePaging(seen({ page: 6, summary }))).toEqual({ kind: "page", page: 7 });
    const unnumbered = { ...object, next: { url: undefined, page: undefined } };
    expect(decidePaging(seen({ page: 6, summary: unnumbered }))).toEqual({ kind: "page", page: 7 });
  });

  test("links without next end the export, a full page or not", () => {
    expect(decidePaging(seen({ elements: 500, pageSize: 500 }))).toEqual({
      kind: "stop",
      reason: "no next link",
      doubt: undefined,
    });
  });

  test("links.last beyond the page that had no next link is a doubt", () => {
    const decision = decidePaging(seen({ summary: { ...object, lastPage: 20 } }));
    expect(decision).toMatchObject({ kind: "stop", reason: "no next link" });
    expect(decision.kind === "stop" && decision.doubt).toMatch(/links\.last names page 20/);
  });

  test("paginated: false ends it even with a next link", () => {
    const summary = { ...object, paginated: false, next: { url: "x", page: 2 } };
    expect(decidePaging(seen({ summary }))).toMatchObject({ kind: "stop", reason: "not paginated" });
  });

  test("a full page repeating the one before is a doubt, not an end, whatever the links say", () => {
    const summary = { ...object, next: { url: "x", page: 2 }, totalCount: 1000, pageSize: 100 };
    const decision = decidePaging(seen({ page: 2, elements: 100, repeated: true, summary }));
    expect(decision).toMatchObject({ kind: "stop", reason: "paging ignored" });
    expect(decision.kind === "stop" && decision.doubt).toMatch(/ignores the page parameter/);
  });

  test("a repeated page with more users than asked for held everything: an end (the stated count still checked)", () => {
    const summary = { ...object, next: { url: "x", page: 2 }, totalCount: 137 };
    const decision = decidePaging(
      seen({ page: 2, elements: 137, repeated: true, summary, requestedPageSize: 50 }),
    );
    expect(decision).toEqual({ kind: "stop", reason: "paging ignored", doubt: undefined });
  });

  test("without links, meta.count asks for more while fewer elements arrived", () => {
    const summary = { ...object, hasLinks: false, totalCount: 400, pageSize: 20 };
    expect(decidePaging(seen({ page: 3, elements: 20, elementsSoFar: 60, summary, pageSize: 20 }))).toEqual({
      kind: "page",
      page: 4,
    });
    expect(decidePaging(seen({ page: 20, elements: 20, elementsSoFar: 400, summary, pageSize: 20 }))).toEqual(
      {
        kind: "page",
        page: 21,
      },
    );
    expect(
      decidePaging(seen({ page: 21, elements: 0, elementsSoFar: 400, summary, pageSize: 20 })),
    ).toMatchObject({
      kind: "stop",
      reason: "empty page",
    });
  });

  test("without links, a page count that is the page's own ends on the first short page", () => {
    const summary = { ...object, hasLinks: false, totalCount: 7, pageSize: 20 };
    expect(decidePaging(seen({ page: 4, elements: 7, elementsSoFar: 67, summary, pageSize: 20 }))).toEqual({
      kind: "stop",
      reason: "short page",
      doubt: undefined,
    });
  });

  test("a bare array ends on a page short of the page size in force", () => {
    expect(decidePaging(seen({ summary: bare, page: 3, elements: 19, pageSize: 20 }))).toMatchObject({
      kind: "stop",
      reason: "short page",
    });
    expect(decidePaging(seen({ summary: bare, page: 3, elements: 20, pageSize: 20 }))).toEqual({
      kind: "page",
      page: 4,
    });
  });

  test("a bare array repeating exactly ZEPHR_PAGE_SIZE users may hide more: a doubt", () => {
    const full = decidePaging(seen({ summary: bare, page: 2, elements: 500, repeated: true }));
    expect(full.kind === "stop" && full.doubt).toMatch(/raise ZEPHR_PAGE_SIZE/);
    // More or fewer than asked for, repeated: the server sent everything at once, Zephr's documented fallback.
    const all = decidePaging(seen({ summary: bare, page: 2, elements: 137, pageSize: 137, repeated: true }));
    expect(all).toEqual({ kind: "stop", reason: "paging ignored", doubt: undefined });
  });

  test("the page size in force is the server's meta.rpp, else what page 1 held when it was not what was asked", () => {
    expect(pagingPageSize({ ...object, pageSize: 20 }, 20, 500)).toBe(20);
    expect(pagingPageSize(bare, 20, 500)).toBe(20);
    expect(pagingPageSize(bare, 700, 500)).toBe(700);
    expect(pagingPageSize(bare, 500, 500)).toBe(500);
    expect(pagingPageSize(bare, 0, 500)).toBe(500);
  });
});
