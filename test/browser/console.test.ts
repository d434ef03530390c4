/**
 * The web console in headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the access token (refused without it; the printed address sets the cookie every later
 * page, API call and live tail uses), tables listed, a live tail while rows are written (paused and resumed without loss),
 * lookups, writing a row, current rows, keyboard navigation, and the error shown once the
 * cluster is stopped. Screenshots of each page go to test-results/console/.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { DataTypes, FlussConnection, LocalCluster, Schema, TableDescriptor, TablePath } from "../../src/index.js";
import { uniqueName } from "../helpers/cluster.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = "test-results/console";
// CI installs Chromium (.ci/run): there a missing browser is a failure, elsewhere a skip
const skip =
  !fs.existsSync(CHROMIUM) && process.env.CI !== "true" ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

describe("web console", { skip, timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let browser: Browser;
  let page: Page;
  /** The console's address without the token: pages opened with the cookie only. */
  let home: string;
  const db = uniqueName("console");
  const users = new TablePath(db, "users");
  const events = new TablePath(db, "events");

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    cluster = await LocalCluster.start({ ui: { port: 0 } });
    conn = await FlussConnection.connect({ "bootstrap.servers": cluster.bootstrapServers });
    const admin = conn.getAdmin();
    await admin.createDatabase(db);
    await admin.createTable(
      users,
      new TableDescriptor(
        Schema.fromColumns(
          [
            { name: "id", type: DataTypes.INT() },
            { name: "name", type: DataTypes.STRING() },
            { name: "balance", type: DataTypes.DECIMAL(10, 2) },
          ],
          ["id"],
        ),
        { bucketCount: 2 },
      ),
    );
    await admin.createTable(
      events,
      new TableDescriptor(
        Schema.fromColumns([
          { name: "seq", type: DataTypes.BIGINT() },
          { name: "kind", type: DataTypes.STRING() },
        ]),
        { bucketCount: 3 },
      ),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    home = cluster.consoleUrl!.replace(/\?token=[0-9a-f]+$/, "");
  });

  after(async () => {
    await browser?.close();
    await conn?.close();
    await cluster?.close();
  });

  it("asks for its token; the printed address signs in with an HttpOnly cookie and drops the token", async () => {
    assert.match(cluster.consoleUrl!, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const stranger = await browser.newPage();
    try {
      await stranger.goto(home);
      const alert = stranger.getByRole("alert").filter({ hasText: "needs its access token" });
      await alert.waitFor();
      await stranger.screenshot({ path: `${SHOTS}/0-token.png` });
    } finally {
      await stranger.close();
    }
    await page.goto(cluster.consoleUrl!);
    assert.equal(page.url(), home, "the token is gone from the address bar");
    assert.equal(await page.evaluate("document.cookie"), "", "scripts cannot read the cookie");
  });

  it("lists databases and tables", async () => {
    await page.goto(home);
    const nav = page.getByRole("navigation", { name: "Databases and tables" });
    await nav.getByRole("link", { name: "users" }).waitFor();
    assert.ok(await nav.getByRole("link", { name: "events" }).isVisible());
    assert.match(await nav.innerText(), new RegExp(db, "i"));
    await page.screenshot({ path: `${SHOTS}/1-tables.png` });
  });

  it("shows a table's schema, keys and offsets", async () => {
    await page.getByRole("link", { name: "users" }).click();
    await page.getByRole("table", { name: "Schema" }).waitFor();
    const schema = await page.getByRole("table", { name: "Schema" }).innerText();
    assert.match(schema, /balance\s+DECIMAL\(10, 2\)/);
    assert.match(schema, /id\s*PK\s+INT NOT NULL/);
    const offsets = page.getByRole("table", { name: "Offsets per bucket" });
    assert.equal(await offsets.locator("tbody tr").count(), 2);
    await page.screenshot({ path: `${SHOTS}/2-overview.png` });
  });

  it("tails a log table while rows are written, and pause/resume loses nothing", async () => {
    await page.goto(`${home}#/${db}/events/tail`);
    await page.getByRole("combobox").selectOption("earliest");
    await page.getByRole("status").filter({ hasText: "live" }).waitFor();
    const table = await conn.getTable(events);
    await using writer = table.newAppendWriter();
    for (let i = 0; i < 3000; i++) writer.append({ seq: i, kind: i % 2 ? "odd" : "even" });
    await writer.flush();
    const count = page.getByTestId("tail-count");
    await page
      .getByTestId("tail-count")
      .filter({ hasText: /^3,000 rows$/ })
      .waitFor();
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("status").filter({ hasText: "paused" }).waitFor();
    for (let i = 3000; i < 5000; i++) writer.append({ seq: i, kind: "late" });
    await writer.flush();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await count.textContent(), "3,000 rows", "nothing arrives while paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page
      .getByTestId("tail-count")
      .filter({ hasText: /^5,000 rows$/ })
      .waitFor();
    // following the tail: the newest rows are on screen, and the DOM holds only the visible ones
    const grid = page.getByRole("grid", { name: `Records of ${db}.events` });
    await grid.getByText("late").first().waitFor();
    assert.ok((await grid.getByRole("row").count()) < 100, "the list is virtualized");
    await page.screenshot({ path: `${SHOTS}/3-tail.png` });
  });

  it("shows the changelog of a primary-key table with change types", async () => {
    const table = await conn.getTable(users);
    await using writer = table.newUpsert();
    writer.upsert({ id: 1, name: "Alice", balance: "10.50" });
    writer.upsert({ id: 2, name: "Bob", balance: "3.00" });
    writer.upsert({ id: 1, name: "Alice", balance: "11.00" });
    await writer.flush();
    await page.goto(`${home}#/${db}/users/tail`);
    await page.getByRole("combobox").selectOption("earliest");
    await page
      .getByTestId("tail-count")
      .filter({ hasText: /^4 rows$/ })
      .waitFor();
    const text = await page.getByRole("grid", { name: `Records of ${db}.users` }).innerText();
    for (const ct of ["+I", "-U", "+U"]) assert.ok(text.includes(ct), `${ct} shown`);
    assert.ok(text.includes("11.00"));
  });

  it("looks a key up, with keyboard navigation between tabs", async () => {
    await page.goto(`${home}#/${db}/users/overview`);
    await page.getByRole("tab", { name: "Overview", selected: true }).focus();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tab", { name: "Live tail", selected: true }).waitFor();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tab", { name: "Lookup", selected: true }).waitFor();
    await page.getByLabel("id").fill("1");
    await page.keyboard.press("Enter");
    await page.getByText("Found:").waitFor();
    assert.match(await page.locator(".outcome").innerText(), /name\s+Alice[\s\S]*balance\s+11\.00/);
    await page.screenshot({ path: `${SHOTS}/4-lookup.png` });
    await page.getByLabel("id").fill("42");
    await page.getByRole("button", { name: "Look up" }).click();
    await page.getByText("No row has this key.").waitFor();
    await page.getByLabel("id").fill("abc");
    await page.getByRole("button", { name: "Look up" }).click();
    assert.match(await page.getByRole("alert").innerText(), /id: "abc" is not a number/);
  });

  it("writes a row from the form, and shows the server's refusal in plain words", async () => {
    await page.goto(`${home}#/${db}/users/produce`);
    await page.getByLabel("id").fill("7");
    await page.getByLabel("name").fill("Grace");
    await page.getByLabel("balance").fill("99.95");
    await page.getByRole("button", { name: "Upsert" }).click();
    await page.getByText("Upserted (acknowledged).").waitFor();
    const row = await (await conn.getTable(users)).newLookup().lookup({ id: 7 });
    assert.equal(row?.name, "Grace");
    assert.equal(String(row?.balance), "99.95");
    await page.screenshot({ path: `${SHOTS}/5-produce.png` });
    await page.getByLabel("balance").fill("1.234");
    await page.getByRole("button", { name: "Upsert" }).click();
    assert.match(await page.getByRole("alert").innerText(), /column "balance": expected DECIMAL\(10, 2\)/);
  });

  it("lists the current rows of a primary-key table", async () => {
    await page.goto(`${home}#/${db}/users/rows`);
    const rows = page.getByRole("table", { name: "Current rows" });
    await rows.waitFor();
    const text = await rows.innerText();
    for (const name of ["Alice", "Bob", "Grace"]) assert.ok(text.includes(name), `${name} listed`);
    assert.equal(await rows.locator("tbody tr").count(), 3);
    await page.screenshot({ path: `${SHOTS}/6-rows.png` });
  });

  it("says in plain words when the cluster is stopped", async () => {
    await cluster.stopTabletServer(0);
    try {
      await page.goto(`${home}#/${db}/users/overview`);
      await page.reload();
      // the table's panel fails with the error and offers to try again
      await page.getByRole("button", { name: "Try again" }).waitFor({ timeout: 30_000 });
      const alerts = await page.getByRole("alert").allInnerTexts();
      const unreachable = new RegExp(`The Fluss cluster at ${cluster.bootstrapServers.replace(/\./g, "\\.")} cannot be reached`);
      assert.ok(alerts.length > 0 && alerts.every((a) => unreachable.test(a)), alerts.join(" | "));
      await page.screenshot({ path: `${SHOTS}/7-stopped.png` });
    } finally {
      await cluster.startTabletServer(0);
    }
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByRole("table", { name: "Schema" }).waitFor({ timeout: 30_000 });
  });
});
