// Node module customization hooks (module.register) for jest's globalSetup and globalTeardown only.
// Jest loads those two files through Node's own module loader, which neither maps our `./x.js` import
// specifiers to the `./x.ts` sources nor compiles TypeScript (ts-jest issue #4127); the tests themselves run
// in jest's vm and are compiled by ts-jest as usual. Type errors are tsc's job (npm run typecheck).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { URL, fileURLToPath } from "node:url";

/** @param {string} url */
function isOurTypeScript(url) {
  return url.startsWith("file:") && url.endsWith(".ts") && !url.includes("/node_modules/");
}

/** Resolves `./x.js`, imported from one of our .ts files, to `./x.ts` when only the latter exists. */
export async function resolve(specifier, context, nextResolve) {
  const parentUrl = context.parentURL;
  if (parentUrl && isOurTypeScript(parentUrl) && /^\.\.?\/.*\.js$/.test(specifier)) {
    const jsUrl = new URL(specifier, parentUrl);
    const tsUrl = new URL(specifier.replace(/\.js$/, ".ts"), parentUrl);
    if (!existsSync(fileURLToPath(jsUrl)) && existsSync(fileURLToPath(tsUrl))) {
      return { url: tsUrl.href, format: "module", shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

/** Compiles our .ts files to ES modules, file by file (types erased, no type check). */
export async function load(url, context, nextLoad) {
  if (!isOurTypeScript(url)) return nextLoad(url, context);
  const { default: ts } = await import("typescript");
  const fileName = fileURLToPath(url);
  const output = ts.transpileModule(await readFile(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: "module", source: output.outputText, shortCircuit: true };
}
