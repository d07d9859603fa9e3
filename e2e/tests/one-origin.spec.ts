import { expect, test } from "@playwright/test";
import { HealthStatus } from "@repo/contracts";
import { ASYNC_PREFIX } from "@repo/testing";

test("the proxy's origin serves the sync and the async health answers", async ({ page }) => {
  const syncResponse = await page.goto("/healthz");
  expect(syncResponse?.status()).toBe(200);
  const sync = HealthStatus.parse(await syncResponse?.json());
  expect(sync.runtime).toBe("sync");
  expect(syncResponse?.headers()["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);

  // From the page itself: the async app is the same origin, so a plain fetch reaches it.
  const fromPage = await page.evaluate(async (prefix) => {
    const response = await fetch(`${prefix}/healthz`);
    return { status: response.status, body: (await response.json()) as unknown };
  }, ASYNC_PREFIX);
  expect(fromPage.status).toBe(200);
  expect(HealthStatus.parse(fromPage.body).runtime).toBe("async");

  const asyncResponse = await page.goto(`${ASYNC_PREFIX}/healthz`);
  await expect(page.locator("body")).toContainText('"runtime":"async"');
  expect(HealthStatus.parse(await asyncResponse?.json()).pid).toBe(HealthStatus.parse(fromPage.body).pid);
});
