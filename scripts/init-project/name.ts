/**
 * Which names `pnpm init-project <name>` takes: the name becomes the root package's name, the scope
 * of every internal package (`@<name>/contracts`) and the Docker Compose project names, so it must
 * be valid as all three.
 */
import validateNpmPackageName from "validate-npm-package-name";

/** Docker Compose's rule for project names (`name:` in infra/docker-compose*.yml). */
const COMPOSE_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The rule `name` breaks, in a few words, or undefined when the name will do. */
export function invalidNameReason(name: string): string | undefined {
  if (name.startsWith("@")) return "give the name without a scope: the packages become @<name>/…";
  // npm's own checks, as `npm publish` runs them; a warning there (capital letters, a core module
  // name, special characters) means npm refuses the name for a new package.
  const npm = validateNpmPackageName(name);
  const npmRule = npm.errors?.[0] ?? npm.warnings?.[0];
  if (npmRule) return `${npmRule} (npm's package name rules)`;
  const scoped = validateNpmPackageName(`@${name}/contracts`);
  const scopeRule = scoped.errors?.[0] ?? scoped.warnings?.[0];
  if (scopeRule) return `${scopeRule} (as the scope @${name}/)`;
  if (!COMPOSE_PROJECT_NAME.test(name)) {
    return "a Docker Compose project name has only lowercase letters, digits, '-' and '_', and starts with a letter or digit";
  }
  return undefined;
}
