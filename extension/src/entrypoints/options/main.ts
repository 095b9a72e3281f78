import { browser } from "wxt/browser";
import { ENROLL_NOW_MESSAGE, EnrollmentSettings, MANUAL_SETTINGS_KEY, readSettings } from "../../lib/policy.ts";
import { ResponderState } from "../../lib/state.ts";
import { parseConsoleUrl } from "../../lib/transport.ts";

// Manual enrollment for an unmanaged Chrome; a managed browser shows its state read-only.
const form = document.querySelector<HTMLFormElement>("#enroll")!;
const statusLine = document.querySelector<HTMLElement>("#status")!;
const state = new ResponderState(browser.storage.local);

async function showStatus(): Promise<void> {
  const [status, enrollment] = await Promise.all([state.status(), state.enrollment()]);
  const lines = [
    enrollment ? `Enrolled as ${enrollment.responderId} with ${enrollment.consoleUrl} (${enrollment.settingsSource}).` : "Not enrolled.",
    status ? `${status.at}: ${status.state}: ${status.message}` : "",
  ];
  statusLine.textContent = lines.filter(Boolean).join("\n");
}

async function init(): Promise<void> {
  const settings = await readSettings(browser);
  if (settings.source === "managed" || settings.source === "invalid-policy") {
    document.querySelector<HTMLElement>("#managed")!.hidden = false;
    for (const input of form.querySelectorAll("input, button")) (input as HTMLInputElement).disabled = true;
  } else if (settings.source === "manual") {
    (form.elements.namedItem("consoleUrl") as HTMLInputElement).value = settings.settings.consoleUrl;
    (form.elements.namedItem("tags") as HTMLInputElement).value = (settings.settings.tags ?? []).join(", ");
  }
  await showStatus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void (async () => {
    const data = new FormData(form);
    try {
      const settings = EnrollmentSettings.parse({
        consoleUrl: parseConsoleUrl(String(data.get("consoleUrl"))),
        deploymentToken: String(data.get("deploymentToken")).trim(),
        tags: String(data.get("tags") ?? "").split(",").map((tag) => tag.trim()).filter(Boolean),
      });
      await browser.storage.local.set({ [MANUAL_SETTINGS_KEY]: settings });
      statusLine.textContent = "Enrolling…";
      await browser.runtime.sendMessage({ type: ENROLL_NOW_MESSAGE });
    } catch (error) {
      statusLine.textContent = error instanceof Error ? error.message : String(error);
      return;
    }
    await showStatus();
  })();
});

void init();
