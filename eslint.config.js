// Lint: typescript-eslint's type-aware recommended rules over every TypeScript file, each file
// checked against the tsconfig that owns it (device code has its own).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "build/", "result/", ".cache/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    // `const { a: _a, ...rest } = o` is how a key is dropped from a copy.
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // prettier wraps code at 120 columns but not comments; long strings stay whole so that a
      // message can be found by grepping for it, and so do a curve's constants (a bigint alone on its line).
      "max-len": [
        "error",
        {
          code: 120,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
          ignorePattern: "^\\s*0x[0-9a-f]+n[,;]?$",
        },
      ],
    },
  },
);
