import { configVariables } from "../../src/config.js";
import { readReadme, readmeOpeningCommands } from "../support/readme-commands.js";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("the README", () => {
  const readme = readReadme();

  test("opens with the two commands: install and run the demo, then run the tests", () => {
    expect(readmeOpeningCommands(readme)).toEqual(["npm ci && npm run demo", "npm test"]);
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("## "));
  });

  test("documents every environment variable the code reads, and no other", () => {
    const documented = [...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(configVariables.map((v) => v.name).sort());
  });

  test("states each variable's default as the code has it", () => {
    for (const variable of configVariables) {
      if (variable.default.startsWith("(")) continue;
      expect(readme).toMatch(
        new RegExp(`^\\|\\s*\`${variable.name}\`\\s*\\|\\s*\`${escape(variable.default)}\`\\s*\\|`, "m"),
      );
    }
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
