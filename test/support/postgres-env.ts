/**
 * The `postgres` project's setup file, in each test worker: points testDatabaseUrl of
 * @repo/testing at the run's server (postgres-server.ts), or skips every test where there is none.
 */
import { TEST_POSTGRES_VARIABLE } from "@repo/testing";
import { beforeEach, inject } from "vitest";

const url = inject("postgresUrl");
if (url) process.env[TEST_POSTGRES_VARIABLE] = url;
else beforeEach(({ skip }) => skip("no PostgreSQL server on this machine"));
