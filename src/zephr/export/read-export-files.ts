import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform, pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { SyncError, describeError } from "../../errors.js";
import { ExportBodyParser, type EnvelopeSummary } from "../json/export-body-parser.js";
import type { ScannedElement } from "../json/scanned-element.js";
import type { ExportEvent } from "./export-pages.js";

/** One export file to read: saved from the Admin Console (a bare array) or an API page (`results`). */
export interface ExportFile {
  readonly path: string;
  /** How messages and the run row name it: its basename, `-` for standard input. */
  readonly name: string;
  /** Its size on disk (compressed, for a gzip file): the progress total. */
  readonly bytes: number;
}

export interface ExportFilesOptions {
  /** When the files were exported (`--exported-at`), ms since the epoch; null when not said. */
  readonly exportedAtMs: number | null;
  /**
   * The files are said to be a complete export (`--full` or `--exported-at`): the end then carries the
   * largest `meta.count` a file stated and a doubt when every API page among them names a next page.
   */
  readonly complete: boolean;
  readonly now: () => number;
}

/** The first bytes of a gzip stream (RFC 1952), whatever the file is called. */
const gzipMagic = [0x1f, 0x8b] as const;

/**
 * Reads export files one after the other as the events an export from the API yields (ExportEvent):
 * one `started` (saying when the files were exported, if told, and their total size), `elements` per
 * chunk (its `bytes`: the file's bytes read, compressed for gzip), one `page` per file, and `end`
 * ("last file"). A gzip file is recognised by its first two bytes and decompressed as it streams; memory
 * stays flat in the file size. A file that is not an export (empty, cut short, an HTML page, not UTF-8)
 * throws EXPORT_FILE_INVALID naming it and saying what to do.
 */
export async function* readExportFiles(
  files: readonly ExportFile[],
  options: ExportFilesOptions,
): AsyncGenerator<ExportEvent, void, undefined> {
  yield {
    type: "started",
    serverDateMs: undefined,
    requestedAtMs: options.now(),
    exportedAtMs: options.exportedAtMs,
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
  };
  let elements = 0;
  let statedCount: number | undefined;
  const summaries: EnvelopeSummary[] = [];
  for (const [index, file] of files.entries()) {
    const page = index + 1;
    const result = yield* readExportFile(file, page);
    yield { type: "page", result };
    elements += result.elements;
    summaries.push(result.summary);
    const count = result.summary.totalCount;
    if (count !== undefined && (statedCount === undefined || count > statedCount)) statedCount = count;
  }
  yield {
    type: "end",
    pages: files.length,
    reason: "last file",
    doubt: options.complete ? findPartialDoubt(summaries) : undefined,
    statedCount: options.complete ? statedCount : undefined,
    elements,
  };
}

/**
 * A saved API page that names a next page is page one of many: when every API page among the files
 * does, some page is missing (a set of pages with the last one among them is complete).
 */
function findPartialDoubt(summaries: readonly EnvelopeSummary[]): string | undefined {
  const pages = summaries.filter((summary) => summary.kind === "object");
  if (pages.length === 0 || pages.some((summary) => summary.next === undefined)) return undefined;
  return (
    "every file is a page of an API export whose links.next names a page after it, so the pages after " +
    "them are missing: load every page in one command, or a complete download from the Admin Console"
  );
}

async function* readExportFile(file: ExportFile, page: number) {
  const invalid = (problem: string, cause?: unknown) =>
    new SyncError("EXPORT_FILE_INVALID", `${file.name}: ${problem}. Nothing was loaded.`, { cause });
  const gzip = await startsWithGzipMagic(file.path).catch((error: unknown) => {
    throw invalid(`cannot be read (${describeError(error)})`, error);
  });
  let readBytes = 0;
  let reportedBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      readBytes += chunk.length;
      done(null, chunk);
    },
  });
  const source = createReadStream(file.path);
  const body: Readable = gzip
    ? pipeline(source, counter, createGunzip(), () => undefined)
    : pipeline(source, counter, () => undefined);
  const parser = new ExportBodyParser();
  const sniff = new ContentSniffer();
  let count = 0;
  const chunkEvent = (scanned: ScannedElement[]): ExportEvent => {
    count += scanned.length;
    const bytes = readBytes - reportedBytes;
    reportedBytes = readBytes;
    return { type: "elements", page, elements: scanned, bytes };
  };
  try {
    for await (const raw of body as AsyncIterable<Buffer>) {
      const chunk = sniff.take(raw);
      const problem = sniff.problem();
      if (problem !== undefined) throw invalid(problem);
      yield chunkEvent(parser.write(chunk));
    }
    let ended: ReturnType<ExportBodyParser["end"]>;
    try {
      ended = parser.end();
    } catch (error) {
      // The file ended where the JSON did not: whatever the parser says, it was cut short.
      const message = describeError(error);
      if (sniff.onlySpace() || /empty body|no "results" list/.test(message)) throw error;
      throw invalid(truncatedProblem, error);
    }
    yield chunkEvent(ended.elements);
    return { page, elements: count, bytes: parser.bytes, summary: ended.summary };
  } catch (error) {
    if (error instanceof SyncError && error.code === "EXPORT_FILE_INVALID") throw error;
    throw invalid(describeFileProblem(error, gzip, sniff), error);
  } finally {
    source.destroy();
    body.destroy();
  }
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === gzipMagic[0] && head[1] === gzipMagic[1];
  } finally {
    await handle.close();
  }
}

const truncatedProblem =
  "ends before its JSON is complete: the download was cut short (or is still being written); " +
  "download it again and load the whole file";

const utf8Advice = "save it as UTF-8 (Zephr's download is UTF-8: download it again rather than re-save it)";

/** What a file that failed to parse is, said for the person who saved it. */
function describeFileProblem(error: unknown, gzip: boolean, sniff: ContentSniffer): string {
  const message = describeError(error);
  if (sniff.onlySpace()) return "is empty: download the export again";
  if (message.includes("empty body")) return "is empty: download the export again";
  if (
    message.includes("ended before the JSON document was complete") ||
    /unexpected end of file/i.test(message)
  ) {
    return truncatedProblem;
  }
  if (gzip && error instanceof Error && "errno" in error) {
    return `is named as gzip by its first bytes but does not decompress (${message}): download it again`;
  }
  if (message.includes("not valid UTF-8")) return `has bytes that are not UTF-8 (${message}): ${utf8Advice}`;
  if (message.includes('no "results" list')) {
    return 'is a JSON object without a "results" list, not a user export: download it from the Admin Console';
  }
  return `is not an export file (${message.replace(/^The export body /, "the file ")}): download it again`;
}

/**
 * Looks at a file's first bytes (after decompression) for the usual wrong files: an HTML page (the
 * console's sign-in page saved instead of the download), UTF-16 text. Drops a UTF-8 byte order mark,
 * which editors add and JSON does not allow.
 */
class ContentSniffer {
  private seen = 0;
  private firstNonSpace: number | undefined;
  private utf16 = false;

  take(chunk: Buffer): Buffer {
    let out = chunk;
    if (this.seen === 0 && chunk.length >= 2) {
      const [a, b] = [chunk[0], chunk[1]];
      this.utf16 = (a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff);
      if (a === 0xef && b === 0xbb && chunk[2] === 0xbf) out = chunk.subarray(3);
    }
    if (this.firstNonSpace === undefined) {
      for (const byte of out) {
        if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
        this.firstNonSpace = byte;
        break;
      }
      // UTF-16 without a byte order mark: every other byte of its ASCII is NUL.
      if (this.firstNonSpace !== undefined && out.subarray(0, 64).includes(0)) this.utf16 = true;
    }
    this.seen += chunk.length;
    return out;
  }

  problem(): string | undefined {
    if (this.utf16) return `is UTF-16 text, not UTF-8: ${utf8Advice}`;
    if (this.firstNonSpace === 0x3c) {
      return (
        "is an HTML page, not the export: it looks like the console's sign-in page saved instead of the " +
        "download: sign in and download again"
      );
    }
    return undefined;
  }

  onlySpace(): boolean {
    return this.firstNonSpace === undefined;
  }
}
