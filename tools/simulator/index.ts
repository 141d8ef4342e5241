/**
 * A Zephr Admin API simulator for tests, the demo and the benchmark: `GET /v3/user-export` over real
 * HTTP on loopback, HMAC-checked, paged, in every documented envelope, streamed, with injectable faults
 * and every paging, meta, links, grant and Date variant a real server may choose (SimulatorOptions);
 * also the catalogue listings (`/v3/products`, … `/v3/schema/users`: `simulator.catalogue`, derived from
 * the users' grants unless set) and the state events CSV (`/v4/user-export?eventsExport=true`:
 * `simulator.stateEvents`).
 *
 *   const simulator = await startZephrSimulator({ accessKey, secretKey, clock: () => nowMs });
 *   simulator.store.seedGenerated({ count: 200_000, seed: 1 }); // lazy: built while serving
 *   simulator.faults.push({ kind: "status", status: 503, retryAfterSeconds: 1 });
 *   … point the client at simulator.url …
 *   await simulator.close();
 *
 * Run standalone: `node dist/tools/simulator/main.js --users 200000 --seed 1 --port 4010`.
 */
export { startZephrSimulator, exportPath, stateEventsExportPath } from "./start-zephr-simulator.js";
export type {
  RecordedRequest,
  ServerVariantOptions,
  SimulatorOptions,
  ZephrSimulator,
} from "./start-zephr-simulator.js";
export { SimulatorStore } from "./simulator-store.js";
export type {
  PutUserOptions,
  SeedGeneratedOptions,
  StoredUser,
  UserFilter,
  UserSelection,
} from "./simulator-store.js";
export { FaultQueue } from "./fault-queue.js";
export type {
  DropFault,
  EmptyFault,
  Fault,
  FaultKind,
  FaultMatch,
  HookFault,
  HtmlFault,
  RawFault,
  RefuseFault,
  StallFault,
  StatusFault,
  TrickleFault,
  TruncateFault,
} from "./fault-queue.js";
export type { GeneratedGrantsShape, GrantUserIds, SharedGrantsOptions } from "./account-grants.js";
export { shapeAccountGrants } from "./account-grants.js";
export type { DateHeader } from "./exchange.js";
export { findEffectivePageSize } from "./export-shape.js";
export type { ExportShape, MetaCountStyle, NextLinkStyle } from "./export-shape.js";
export {
  findGeneratedUserIndex,
  formatGrantTime,
  generateGrant,
  generateUser,
  generateUserId,
  generateUsers,
  generatedRegisteredAtMs,
} from "./generate-users.js";
export type {
  GeneratedGrant,
  GeneratedUserElement,
  GenerateUsersOptions,
  GrantDraft,
} from "./generate-users.js";
export { SeededRandom } from "./seeded-random.js";
export { findGrantId, listGrants, withAttribute, withGrant, withoutGrant } from "./user-mutations.js";
export type { ExportEnvelope } from "./write-export-body.js";
export {
  SimulatorCatalogue,
  catalogueListingPaths,
  generatedUserSchema,
  isCatalogueListingPath,
} from "./catalogue-store.js";
export type { CatalogueEnvelope, CatalogueListingPath } from "./catalogue-store.js";
export { SimulatorStateEvents, defaultStateEventColumns, formatCsvField } from "./state-events-store.js";
export type { SimulatedStateEvent } from "./state-events-store.js";
