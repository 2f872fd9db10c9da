import js from "@eslint/js";
import tseslint from "typescript-eslint";

const storeDrivers = ["mongodb", "pg", "ioredis"].map((name) => ({
  name,
  message: "Transports do not touch store drivers: call a domain service in shared/.",
}));

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", ".data/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", URL: "readonly", Buffer: "readonly", fetch: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", AbortController: "readonly", structuredClone: "readonly", performance: "readonly", queueMicrotask: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": ["error", { allow: ["error"] }],
      eqeqeq: ["error", "smart"],
    },
  },
  {
    // Transports stay thin: no drivers, no repositories.
    files: ["api/**/*.ts", "gateway/**/*.ts", "workers/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: storeDrivers,
          patterns: [{ group: ["**/*.repository.js", "**/*.repository"], message: "Transports call services, never repositories." }],
        },
      ],
    },
  },
  {
    // Services enforce rules over repositories and the transactor: no driver, not even its types.
    files: ["shared/**/*.service.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["mongodb", "pg", "ioredis"].map((name) => ({
            name,
            message: "Services do not touch store drivers: use a repository, or the Transactor from shared/db/transactor.ts.",
          })),
        },
      ],
    },
  },
  {
    files: ["scripts/**/*.ts", "scripts/**/*.mjs", "test/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
