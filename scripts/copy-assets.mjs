// Copies the non-TypeScript files the compiled code reads at run time.
import { cpSync } from "node:fs";
cpSync("shared/db/migrations", "dist/shared/db/migrations", { recursive: true });
cpSync("shared/auth/common-passwords.txt", "dist/shared/auth/common-passwords.txt");
