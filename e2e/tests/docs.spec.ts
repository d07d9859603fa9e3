import { expect, test } from "@playwright/test";

test("/docs renders the OpenAPI document of both apps", async ({ page }) => {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto("/docs");
  // Swagger UI fetched /openapi.json through the proxy and rendered every operation.
  await expect(page.locator(".swagger-ui .info .title")).toContainText("api-starter");
  const operations = page.locator(".opblock-summary-path");
  await expect(operations.filter({ hasText: "/async/healthz" })).toHaveCount(1);
  await expect(operations.filter({ hasText: /^\/notes$/ })).toHaveCount(2);
  await expect(page.getByText("List notes, newest first, a page at a time")).toBeVisible();
  expect(problems).toEqual([]);
});
