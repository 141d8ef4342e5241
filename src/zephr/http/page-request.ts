/** One signed GET: the path under ZEPHR_BASE_URL and the query exactly as signed and sent. */
export interface PageRequest {
  readonly path: string;
  readonly query: string;
}
