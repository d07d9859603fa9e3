// The workspace root's dependencies on the workspace's own packages (test/ and scripts/ import
// them), added when pnpm installs instead of written in package.json. Turbo folds every file of
// each package the root package.json names into the hash of every task (its global
// `hashOfInternalDependencies`, vercel/turborepo#13384): one edit in an app would run every test
// task again, each package's included. pnpm links them into node_modules all the same.
const root = require("./package.json").name;
const ROOT_USES = ["async-api", "contracts", "dev-proxy", "shared-settings", "sync-api", "testing", "tsconfig"];

module.exports = {
  hooks: {
    readPackage(manifest) {
      if (manifest.name !== root) return manifest;
      const added = Object.fromEntries(ROOT_USES.map((name) => [`@repo/${name}`, "workspace:*"]));
      return { ...manifest, devDependencies: { ...manifest.devDependencies, ...added } };
    },
  },
};
