/**
 * Runs the Zephr simulator as a process for demos and manual tries:
 *   ZEPHR_ACCESS_KEY=… ZEPHR_SECRET_KEY=… node dist/tools/simulator/main.js --users 200000 --seed 7 --port 4010
 * Exit codes: 0 after SIGINT/SIGTERM, 2 for bad arguments, 1 when it cannot listen.
 */
import { describeError } from "../../src/errors.js";
import { parseSimulatorArgs, simulatorUsage } from "./parse-simulator-args.js";
import { startZephrSimulator } from "./start-zephr-simulator.js";

const command = parseSimulatorArgs(process.argv.slice(2), process.env);
if (command.kind === "help") {
  console.log(simulatorUsage);
} else if (command.kind === "usage-error") {
  console.error(`${command.problems.join("\n")}\n\n${simulatorUsage}`);
  process.exitCode = 2;
} else {
  try {
    const simulator = await startZephrSimulator(command.options);
    const { count, seed } = command.options.users;
    console.log(simulator.url);
    console.error(
      `Zephr simulator: ${count} users (seed ${seed}), ${command.options.envelope ?? "object"} envelope, ` +
        `access key "${command.options.accessKey}". GET ${simulator.url}/v3/user-export. Ctrl-C stops it.`,
    );
    const stop = (): void => {
      void simulator.close().then(() => {
        console.error("Zephr simulator stopped.");
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (error) {
    console.error(`Zephr simulator could not start: ${describeError(error)}`);
    process.exitCode = 1;
  }
}
