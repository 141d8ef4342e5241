import { parseSimulatorArgs } from "../../tools/simulator/parse-simulator-args.js";

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

  it("reads the server variants from their flags", () => {
    const command = parseSimulatorArgs(
      [
        ...["--max-page-size", "20", "--min-page-size", "5", "--next-link", "relative"],
        ...["--last-page-next", "null", "--links", "omitted", "--meta", "present", "--count", "page"],
        ...["--ignore-page", "--shared-grants", "3", "--grant-user-ids", "other"],
        ...["--date-skew-ms", "2366841600000"],
      ],
      {},
    );

    expect(command).toMatchObject({
      kind: "run",
      options: {
        maxPageSize: 20,
        minPageSize: 5,
        nextLink: "relative",
        lastPageNext: "null",
        links: "omitted",
        meta: "present",
        count: "page",
        ignorePage: true,
        sharedGrants: { membersPerAccount: 3 },
        grantUserIds: "other",
        dateHeader: { skewMs: 2_366_841_600_000 },
      },
    });
  });

  it("lists every invalid server variant at once", () => {
    const command = parseSimulatorArgs(
      [
        ...["--max-page-size", "0", "--next-link", "sideways", "--count", "many"],
        ...["--shared-grants", "1", "--date-header", "missing", "--date-skew-ms", "5"],
      ],
      {},
    );

    expect(command).toEqual({
      kind: "usage-error",
      problems: [
        '--max-page-size must be an integer from 1 to 1000000000, got "0".',
        '--next-link must be absolute | relative | page-only, got "sideways".',
        '--count must be total | page | absent, got "many".',
        '--shared-grants must be an integer from 2 to 1000000, got "1".',
        "--date-skew-ms needs a Date header: leave out --date-header missing.",
      ],
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
