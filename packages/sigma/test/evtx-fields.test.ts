import { describe, expect, it } from "vitest";
import { rememberedKinds } from "../src/evtx-fields.ts";
import { builtinMapping, normalizeRecord, type SigmaEvent } from "../src/index.ts";

const windows = builtinMapping("windows");

/** A record of a kind no other test uses, so each test starts without a remembered layout for it. */
function record(channel: string, system: Record<string, unknown>, rest: Record<string, unknown>): unknown {
  return { Event: { System: { Channel: channel, EventID: 7, ...system }, ...rest } };
}

function fieldsOf(input: unknown): Record<string, unknown> {
  const [event] = normalizeRecord(input, windows);
  return Object.fromEntries((event as SigmaEvent).fields);
}

describe("EVTX records flattened through remembered layouts", () => {
  it("gives each record of a kind its own values", () => {
    const events = ["a", "b", "c"].map((name) => normalizeRecord(record("Layout-Values", {}, { EventData: { Image: `C:\\${name}.exe`, Count: name.length } }), windows)[0]!);
    expect(events.map((event) => event.value("image"))).toEqual(["C:\\a.exe", "C:\\b.exe", "C:\\c.exe"]);
    expect(events.map((event) => [...event.fields.values()])).toEqual([
      ["Layout-Values", 7, "C:\\a.exe", 1],
      ["Layout-Values", 7, "C:\\b.exe", 1],
      ["Layout-Values", 7, "C:\\c.exe", 1],
    ]);
  });

  it("names System attributes, nested elements, Data lists, spaced names and UserData leaves as before", () => {
    const input = record(
      "Layout-Names",
      { EventID: { "#text": 7, "#attributes": { Qualifiers: 16384 } }, Provider: { "#attributes": { Name: "P", Guid: "G" } }, Execution: { "#attributes": { ProcessID: 4 } }, Outer: { Inner: "x" } },
      {
        EventData: { Data: [{ "#text": "one" }, "two"], "Threat Name": "Eicar", ThreatName: "kept", Path: { "#text": "C:\\p" } },
        UserData: { Wrapper: { "#attributes": { xmlns: "ns" }, Path: "from user data", Extra: { "#text": "e" }, Deeper: { Leaf: 1 } } },
      },
    );
    // Read twice: the first walk records the layout, the second reads through it, and both must agree.
    const expected = {
      channel: "Layout-Names",
      eventid: 7,
      eventid_qualifiers: 16384,
      provider_name: "P",
      provider_guid: "G",
      execution_processid: 4,
      outer_inner: "x",
      data: ["one", "two"],
      "threat name": "Eicar",
      threatname: "kept",
      path: "C:\\p",
      extra: "e",
      leaf: 1,
    };
    expect(fieldsOf(input)).toEqual(expected);
    // Two names share a leaf here ("Threat Name" also answers to threatname until ThreatName replaces it), so the
    // values are not the leaves in order: they must still come in the order of the entries.
    const { fields } = normalizeRecord(input, windows)[0]!;
    expect([...fields.values()]).toEqual([...fields.entries()].map(([, value]) => value));
    expect(normalizeRecord(input, windows)[0]!.valueList()).toEqual([...fields.entries()].map(([, value]) => value));
    expect(fieldsOf(input)).toEqual(expected);
  });

  it("does not reuse a layout for a record with fewer, more or differently nested elements", () => {
    const full = record("Layout-Shapes", {}, { EventData: { A: "1", B: "2" } });
    expect(fieldsOf(full)).toEqual({ channel: "Layout-Shapes", eventid: 7, a: "1", b: "2" });
    expect(fieldsOf(record("Layout-Shapes", {}, { EventData: { A: "1" } }))).toEqual({ channel: "Layout-Shapes", eventid: 7, a: "1" });
    expect(fieldsOf(record("Layout-Shapes", {}, { EventData: { A: "1", B: "2", C: "3" } }))).toEqual({ channel: "Layout-Shapes", eventid: 7, a: "1", b: "2", c: "3" });
    // The same keys in the same order, but `Deep` closes before `C` in one record and after it in the other.
    expect(fieldsOf(record("Layout-Shapes", { Deep: { B: "2" }, C: "3" }, {}))).toEqual({ channel: "Layout-Shapes", eventid: 7, deep_b: "2", c: "3" });
    expect(fieldsOf(record("Layout-Shapes", { Deep: { B: "2", C: "3" } }, {}))).toEqual({ channel: "Layout-Shapes", eventid: 7, deep_b: "2", deep_c: "3" });
    // An element where the layout had text, and EventData as text where it had items.
    expect(fieldsOf(record("Layout-Shapes", { Deep: "flat" }, {}))).toEqual({ channel: "Layout-Shapes", eventid: 7, deep: "flat" });
    expect(fieldsOf(record("Layout-Shapes", {}, { EventData: null }))).toEqual({ channel: "Layout-Shapes", eventid: 7 });
    expect(fieldsOf(record("Layout-Shapes", {}, { EventData: "text" }))).toEqual({ channel: "Layout-Shapes", eventid: 7, data: "text" });
    // Equal keys with END markers in the same places: an empty element X before a leaf Y, or a leaf X before an empty Y.
    expect(fieldsOf(record("Layout-Shapes", { X: {}, Y: "y" }, {}))).toEqual({ channel: "Layout-Shapes", eventid: 7, y: "y" });
    expect(fieldsOf(record("Layout-Shapes", { X: "x", Y: {} }, {}))).toEqual({ channel: "Layout-Shapes", eventid: 7, x: "x" });
    expect(fieldsOf(full)).toEqual({ channel: "Layout-Shapes", eventid: 7, a: "1", b: "2" });
  });

  it("keeps aliases a mapping adds to one record out of the others of its layout", () => {
    const process4688 = (name: string) => ({
      Event: { System: { Channel: "Security", EventID: 4688 }, EventData: { NewProcessName: name, ParentProcessName: "C:\\parent.exe" } },
    });
    const [first] = normalizeRecord(process4688("C:\\first.exe"), windows);
    const [second] = normalizeRecord(process4688("C:\\second.exe"), windows);
    expect([first!.value("image"), second!.value("image")]).toEqual(["C:\\first.exe", "C:\\second.exe"]);
    expect(second!.fields.get("parentimage")).toBe("C:\\parent.exe");
    expect(new Map(second!.fields).size).toBe(second!.fields.size);
    expect([...second!.fields.keys()]).toEqual(["channel", "eventid", "newprocessname", "parentprocessname", "image", "parentimage"]);
    expect([...second!.fields.values()]).toEqual(["Security", 4688, "C:\\second.exe", "C:\\parent.exe", "C:\\second.exe", "C:\\parent.exe"]);
    expect(second!.valueList()).toEqual([...second!.fields.values()]);
    expect(first!.valueList()).toEqual(["Security", 4688, "C:\\first.exe", "C:\\parent.exe", "C:\\first.exe", "C:\\parent.exe"]);
  });

  it("remembers at most 4,096 kinds and still flattens records of the kinds beyond", () => {
    const events = Array.from({ length: 5000 }, (_, i) => normalizeRecord(record(`Layout-Many-${i}`, {}, { EventData: { Index: i } }), windows)[0]!);
    expect(events.every((event, i) => event.value("index") === i && event.value("channel") === `Layout-Many-${i}`)).toBe(true);
    expect(rememberedKinds()).toBe(4096);
  });
});
