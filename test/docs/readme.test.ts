import { configSpec, variableNames } from "../../src/config/config-spec.js";
import { findEnvTable, renderEnvTable, replaceEnvTable } from "../../src/config/render-env-table.js";
import { helpText } from "../../src/commands/help-text.js";
import { readReadme, readmeOpeningCommands } from "../support/readme-commands.js";

describe("the README", () => {
  const readme = readReadme();

  test("opens with the two commands: install and run the demo, then run the tests", () => {
    expect(readmeOpeningCommands(readme)).toEqual(["npm ci && npm run demo", "npm test"]);
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("## "));
  });

  test("its table of environment variables is the one the config spec renders (npm run docs:env rewrites it)", () => {
    const { start, end } = findEnvTable(readme);
    expect(readme.slice(start, end)).toBe(renderEnvTable());
  });

  test("documents every variable the code reads, once, and no other, with the default the code has", () => {
    const documented = [...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*([^|]*?)\s*\|/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(documented.map(([name]) => name)).toEqual(variableNames);
    for (const [name, shown] of documented) {
      const variable = configSpec[name as keyof typeof configSpec];
      if ("default" in variable) expect(shown).toBe(`\`${variable.default}\``);
      else expect(shown).toMatch(/^\((required|none|off)/);
    }
  });

  test("rewriting the table from the spec changes nothing but the table", () => {
    const stale = readme.replace(/^\| `SYNC_LOOKBACK` .*$/m, "| `SYNC_LOOKBACK` | `2h` | stale |");
    expect(stale).not.toBe(readme);
    expect(replaceEnvTable(stale)).toBe(readme);
  });

  test("documents every command and the four exit codes", () => {
    for (const command of [
      "zephr-sync run",
      "zephr-sync schedule",
      "zephr-sync backfill",
      "zephr-sync status",
      "zephr-sync migrate",
    ]) {
      expect(readme).toContain(command);
    }
    for (const code of ["0", "1", "2", "3"]) expect(readme).toMatch(new RegExp(`^\\| ${code}\\s+\\|`, "m"));
  });
});

describe("--help", () => {
  test("lists every variable once, in the spec's order, with its line and what unset means", () => {
    const environment = helpText("0.0.0").split("\nEnvironment:\n")[1] ?? "";
    const lines = environment.trimEnd().split("\n");
    expect(lines.map((line) => line.trim().split(/\s+/)[0])).toEqual(variableNames);
    for (const [index, name] of variableNames.entries()) {
      const variable = configSpec[name];
      expect(lines[index]).toContain(variable.help);
      if ("default" in variable)
        expect(lines[index]).toMatch(new RegExp(`\\(default ${escape(variable.default)}\\)$`));
    }
    expect(lines.find((line) => line.includes("DATABASE_URL"))).toMatch(/\(required\)$/);
    expect(lines.find((line) => line.includes("ZEPHR_SECRET_KEY"))).toMatch(
      /\(required for run, backfill, schedule\)$/,
    );
    expect(lines.find((line) => line.includes("METRICS_PORT"))).toMatch(/\(off\)$/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
