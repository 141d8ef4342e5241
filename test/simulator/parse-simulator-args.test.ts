import { parseSimulatorArgs } from "../../src/simulator/parse-simulator-args.js";

describe("the simulator's command line", () => {
  it("uses demo keys, 1000 users, seed 1 and an ephemeral loopback port by default", () => {
    expect(parseSimulatorArgs([], {})).toEqual({
      kind: "run",
      options: {
        accessKey: "demo-access-key",
        secretKey: "demo-secret-key",
        host: "127.0.0.1",
        port: 0,
        envelope: "object",
        users: { count: 1000, seed: 1 },
      },
    });
  });

  it("reads users, seed, port, host and envelope from arguments and the keys from the environment", () => {
    const command = parseSimulatorArgs(
      ["--users", "200000", "--seed", "7", "--port", "4010", "--host", "0.0.0.0", "--envelope", "nested"],
      { ZEPHR_ACCESS_KEY: "ak", ZEPHR_SECRET_KEY: "sk" },
    );

    expect(command).toEqual({
      kind: "run",
      options: {
        accessKey: "ak",
        secretKey: "sk",
        host: "0.0.0.0",
        port: 4010,
        envelope: "nested",
        users: { count: 200_000, seed: 7 },
      },
    });
  });

  it("lists every invalid argument at once", () => {
    const command = parseSimulatorArgs(["--users", "many", "--port", "70000", "--envelope", "xml"], {});

    expect(command).toEqual({
      kind: "usage-error",
      problems: [
        '--users must be an integer from 0 to 4294967295, got "many".',
        '--port must be an integer from 0 to 65535, got "70000".',
        '--envelope must be array, object or nested, got "xml".',
      ],
    });
  });

  it("reports an unknown option as a usage error", () => {
    const command = parseSimulatorArgs(["--userz", "5"], {});

    expect(command).toEqual({
      kind: "usage-error",
      problems: [expect.stringContaining("--userz") as unknown],
    });
  });

  it("asks for help with --help", () => {
    expect(parseSimulatorArgs(["--help"], {})).toEqual({ kind: "help" });
  });
});
