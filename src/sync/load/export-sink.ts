import type { PageResult } from "../../zephr/export/export-pages.js";
import type { ScannedElement } from "../../zephr/json/scanned-element.js";

/** Where the elements of an export go: the warehouse, or a dry run's tally. */
export interface ExportSink {
  /** Elements completed by one chunk of a page. May wait (backpressure on the HTTP body). */
  accept(elements: readonly ScannedElement[], page: number): Promise<void>;
  /** A page was read completely. */
  pageDone(result: PageResult): Promise<void>;
  /** Every page was read: deal with what is left; throws if anything failed. */
  finish(): Promise<void>;
  /** After a failure: wait until work in flight has ended (committed or rolled back). Never throws. */
  settle(): Promise<void>;
}
