import { expect, test } from "@playwright/test";
import { ASYNC_PREFIX } from "@repo/testing";

// Production settings (the containers, and the production builds behind nginx) turn the API reference off.
const production = process.env.E2E_PROXY === "containers" || process.env.E2E_PROXY === "nginx";

// Each mode registers the test of what it serves: the reference, or its absence.
if (!production)
  test("/docs renders the OpenAPI document of both apps", async ({ page }) => {
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto("/docs");
    // Swagger UI fetched /openapi.json through the proxy and rendered every operation.
    await expect(page.locator(".swagger-ui .info .title")).toContainText("api-starter");
    const operations = page.locator(".opblock-summary-path");
    await expect(operations.filter({ hasText: `${ASYNC_PREFIX}/healthz` })).toHaveCount(1);
    await expect(operations.filter({ hasText: "/compute/primes" })).toHaveCount(1);
    await expect(page.getByText("Count the primes below a bound")).toBeVisible();
    expect(problems).toEqual([]);
  });

// #region example
test("the internal note-events feed is not reachable from outside, nor in the public document", async ({ request }) => {
  const feed = await request.get("/note-events");
  expect(feed.status()).toBe(404);
  expect(feed.headers()["content-type"]).toMatch(/^application\/problem\+json/);
  if (production) return; // no document to look in
  const document = (await (await request.get("/openapi.json")).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(document.paths)).not.toContain("/note-events");
});
// #endregion example

if (production)
  test("in production, /docs and /openapi.json are 404 problems", async ({ request }) => {
    for (const path of ["/docs", "/openapi.json"]) {
      const response = await request.get(path);
      expect(response.status()).toBe(404);
      expect(response.headers()["content-type"]).toMatch(/^application\/problem\+json/);
    }
  });
