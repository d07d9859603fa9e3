import { expect, test } from "@playwright/test";

// Production settings (the containers, and the production builds behind nginx) turn the page off: `/` is then a 404 problem.
const production = process.env.E2E_PROXY === "containers" || process.env.E2E_PROXY === "nginx";

// Each mode registers the test of what it serves: the page, or its absence.
if (!production)
  test("the welcome page shows both runtimes live: health, SSE note events, WebSocket echo", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your API is running");
    await expect(page.locator("#health-sync")).toHaveText(/^up \(pid \d+\)$/);
    await expect(page.locator("#health-async")).toHaveText(/^up \(pid \d+\)$/);

    // A note created from the page comes back through async-api's SSE relay.
    const title = `from the welcome page ${Math.random()}`;
    await page.locator("#note-form input[name=title]").fill(title);
    await page.locator("#note-form button").click();
    await expect(page.locator("#note-events li").first()).toContainText(`created note`, { timeout: 10_000 });
    await expect(page.locator("#note-events")).toContainText(title);

    // The echo box talks to async-api over a WebSocket.
    await page.locator("#echo-form input[name=text]").fill("hello, event loop");
    await page.locator("#echo-form button").click();
    await expect(page.locator("#echoes li").first()).toHaveText("hello, event loop");

    // Its links lead to the API reference and to a docs page from the repository.
    await expect(page.getByRole("link", { name: "API reference" })).toHaveAttribute("href", "/docs");
    const docsLink = page.getByRole("link", { name: /Combined mode/ });
    const response = await page.request.get((await docsLink.getAttribute("href")) as string);
    expect(response.status()).toBe(200);
    expect(await response.text()).toContain("# Combined mode");
  });

if (production)
  test("in production, / is a 404 problem", async ({ request }) => {
    const response = await request.get("/");
    expect(response.status()).toBe(404);
    expect(response.headers()["content-type"]).toMatch(/^application\/problem\+json/);
  });
