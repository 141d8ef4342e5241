// Jest's test order (testSequencer in jest.config.js): its own (failed first, then slowest first by the
// durations it cached), except that the fresh-clone test goes first. That test runs a whole second
// `npm ci` and test suite in a clone; started last (jest knows no durations on a fresh CI machine and
// falls back to file size, and the file is small), it ran alone at the end for almost four minutes.
// Started first, its install and demo overlap the other tests.
import Sequencer from "@jest/test-sequencer";

/** @param {{ path: string }} test */
const isFreshClone = (test) => test.path.endsWith("/fresh-clone.test.ts");

export default class FreshCloneFirstSequencer extends Sequencer {
  /**
   * @param {Parameters<Sequencer["sort"]>[0]} tests
   * @returns {Promise<Parameters<Sequencer["sort"]>[0]>}
   */
  async sort(tests) {
    const sorted = await super.sort(tests);
    return [...sorted.filter(isFreshClone), ...sorted.filter((test) => !isFreshClone(test))];
  }
}
