import { startCliFixture, type CliFixture } from "../support/cli-fixture.js";
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from "../support/self-signed-certificate.js";

/**
 * Certificate verification for Zephr is always on: a simulator serving HTTPS with a self-signed
 * certificate is refused, whatever NODE_TLS_REJECT_UNAUTHORIZED says, until ZEPHR_CA_FILE names it.
 */
describe("TLS to Zephr", () => {
  let certificate: SelfSignedCertificate;
  let stranger: SelfSignedCertificate;
  let f: CliFixture;

  beforeAll(async () => {
    certificate = createSelfSignedCertificate();
    stranger = createSelfSignedCertificate();
    f = await startCliFixture("tls", {
      simulator: { users: { count: 40, seed: 91 }, tls: { key: certificate.key, cert: certificate.cert } },
    });
  });

  afterAll(async () => {
    await f.close();
    certificate.remove();
    stranger.remove();
  });

  beforeEach(() => {
    f.simulator.requests.length = 0;
  });

  afterEach(async () => {
    await f.endCase();
  });

  test("the simulator serves HTTPS", () => {
    expect(f.simulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test.each<[string, Record<string, string>]>([
    ["without ZEPHR_CA_FILE", {}],
    ["with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment", { NODE_TLS_REJECT_UNAUTHORIZED: "0" }],
  ])(
    "%s, an untrusted certificate fails the run at once, without retrying, naming ZEPHR_CA_FILE",
    async (_name, env) => {
      const result = await f.cli(["run"], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /failed \[ZEPHR_NETWORK\]: Could not complete GET https:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?.*: self-signed certificate\. The TLS certificate was not trusted: set ZEPHR_CA_FILE/,
      );
      expect(result.stderr).not.toMatch(/page failed; retrying/);
      expect(f.simulator.requests).toEqual([]);
      expect(await f.latestRun()).toMatchObject({ status: "failed", errorCode: "ZEPHR_NETWORK" });
      expect(await f.watermark()).toBeNull();
    },
  );

  test("a ZEPHR_CA_FILE of another authority does not make the certificate trusted", async () => {
    const result = await f.cli(["run"], { ZEPHR_CA_FILE: stranger.certFile });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/The TLS certificate was not trusted/);
    expect(f.simulator.requests).toEqual([]);
  });

  test("a ZEPHR_CA_FILE that does not exist is a configuration error (exit 2)", async () => {
    const result = await f.cli(["run"], { ZEPHR_CA_FILE: `${certificate.certFile}.missing` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ZEPHR_CA_FILE=".*\.missing" does not exist/);
  });

  test("with ZEPHR_CA_FILE naming the certificate, the run succeeds over TLS", async () => {
    const result = await f.cli(["run"], { ZEPHR_CA_FILE: certificate.certFile });
    expect(result.code).toBe(0);
    expect(f.simulator.requests.filter((r) => r.path === "/v3/user-export")).not.toEqual([]);
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });
});
