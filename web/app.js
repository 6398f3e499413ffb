// The fundsim web app (issue 21): a form generated from /api/schema, live results from
// /api/run, an A/B comparison, downloads and a shareable link. Plain JavaScript, no
// framework and no build step; the content security policy forbids inline scripts and
// styles, so every element is built with the DOM API and text goes in as textContent.
"use strict";

// ------------------------------------------------------------------ settings

/** Wait this long after the last keystroke before running: typing a number is one run. */
const DEBOUNCE_MS = 400;
/** The fast first estimate: enough replications to show the picture in a fraction of a second. */
const ESTIMATE_REPLICATIONS = 200;
/** A busy server (503) is asked again this many times, a second apart. */
const BUSY_RETRIES = 5;
/** The strategy table's columns: the main metrics, in this order. */
const MAIN_METRICS = [
  ["survival_at_horizon", "Survival at horizon"],
  ["weighted_survival_at_horizon", "Usage-weighted survival"],
  ["abandonments", "Abandonments"],
  ["total_paid_eur", "Paid (EUR)"],
  ["cost_per_project_year_gained_eur", "Cost per project-year gained (EUR)"],
];
/** The metric whose range and probability of being best the table shows. */
const DECISION_METRIC = "survival_at_horizon";
/** Strategies share the charts' eight-colour palette (src/plot/style.rs); later ones repeat it, dashed. */
const PALETTE_SIZE = 8;

// ------------------------------------------------------------------ small DOM helpers

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes, never markup). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A key such as `strategies[2].power` as an element id. */
const idOf = (prefix, key) => prefix + "-" + key.replace(/[^A-Za-z0-9_-]/g, "-");

// ------------------------------------------------------------------ a small TOML reader
//
// Enough of TOML to read a scenario's tables and their values as raw text, and to write
// it back with the [[strategies]] tables replaced: the page never needs to understand a
// value it does not edit, so those are carried over verbatim.

/** `line` without its comment, respecting quotes. */
function stripComment(line) {
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

/** How far brackets open on a comment-free line outside strings (arrays and inline tables can span lines). */
function bracketBalance(text) {
  let depth = 0;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
  }
  return depth;
}

/**
 * The tables of a TOML text: `{name, array, start, end, entries: {key: raw}}`, where start
 * and end are line indices (the header line, and one past the table's last line). The
 * lines before the first header form a table with the name "".
 */
function readToml(text) {
  const lines = text.split("\n");
  const tables = [{ name: "", array: false, start: 0, end: lines.length, entries: {}, lines: {} }];
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (line === "") continue;
    const header = /^(\[\[?)\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (header) {
      tables[tables.length - 1].end = i;
      tables.push({ name: header[2], array: header[1] === "[[", start: i, end: lines.length, entries: {}, lines: {} });
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+|"[^"]*")\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    let raw = pair[2];
    const first = i;
    let depth = bracketBalance(raw);
    while (depth > 0 && i + 1 < lines.length) {
      i++;
      const more = stripComment(lines[i]).trim();
      raw += "\n" + more;
      depth += bracketBalance(more);
    }
    const key = pair[1].replace(/^"|"$/g, "");
    const table = tables[tables.length - 1];
    table.entries[key] = raw.trim();
    table.lines[key] = [first, i + 1];
  }
  return tables;
}

/** A raw TOML value as JavaScript when it is a number, boolean or string; otherwise undefined. */
function tomlScalar(raw) {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?$/.test(text)) return Number(text.replace(/_/g, ""));
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (/^'[^']*'$/.test(text)) return text.slice(1, -1);
  return undefined;
}

/** A JavaScript number, boolean or string as TOML. */
function tomlOf(value) {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return JSON.stringify(String(value));
}

/** What the user typed into a free-form parameter field, as a TOML value. */
function tomlOfTyped(text) {
  const trimmed = text.trim();
  if (/^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?$/.test(trimmed)) return trimmed;
  if (/^(true|false)$/.test(trimmed) || /^["'[{]/.test(trimmed)) return trimmed;
  return JSON.stringify(trimmed);
}

/** `text` with `table.key` set to the raw value `raw` (replacing its line, or added after the header). */
function setTomlValue(text, tableName, key, raw) {
  const lines = text.split("\n");
  const table = readToml(text).find((t) => t.name === tableName && !t.array);
  if (!table) return text.replace(/\n*$/, "\n") + `\n[${tableName}]\n${key} = ${raw}\n`;
  const span = table.lines[key];
  if (span) {
    const comment = lines[span[1] - 1].slice(stripComment(lines[span[1] - 1]).length);
    lines.splice(span[0], span[1] - span[0], `${key} = ${raw}${comment ? " " + comment.trim() : ""}`);
  } else {
    lines.splice(table.start + 1, 0, `${key} = ${raw}`);
  }
  return lines.join("\n");
}

/** `text` without the tables whose names pass `drop`. */
function removeTables(text, drop) {
  const lines = text.split("\n");
  for (const table of readToml(text).reverse()) {
    if (table.name !== "" && drop(table.name)) lines.splice(table.start, table.end - table.start);
  }
  return lines.join("\n");
}

/** `text` with every [[strategies]] table (and its sub-tables) replaced by `replacement`. */
function replaceStrategies(text, replacement) {
  const lines = text.split("\n");
  const isStrategyTable = (t) => t.name === "strategies" || t.name.startsWith("strategies.");
  const tables = readToml(text).filter((t) => t.name !== "" && isStrategyTable(t));
  if (tables.length === 0) return text.replace(/\n*$/, "\n") + "\n" + replacement;
  const at = tables[0].start;
  for (const table of [...tables].reverse()) lines.splice(table.start, table.end - table.start);
  lines.splice(at, 0, replacement);
  return lines.join("\n");
}

// ------------------------------------------------------------------ state

const state = {
  schema: null,
  scenarios: [],
  /** The scenario the edits start from: {name, builtin, toml, portfolioCsv, tables}. */
  base: null,
  /** A portfolio CSV the user uploaded (replaces the one the scenario names). */
  uploadedCsv: null,
  /** The strategies as the form shows them: {name, rule, timing, params: {key: raw TOML}}. */
  strategies: [],
  strategiesEdited: false,
  /** The pinned configuration (A): {body, description}. */
  pinned: null,
  /** The last result drawn, and whether it is the refined one. */
  result: null,
  lastBody: null,
  generation: 0,
  controller: null,
  timer: null,
  objectUrls: {},
};

/** The rule's description from the schema. */
const ruleOf = (name) => state.schema.rules.find((r) => r.name === name);

/** The allowed values of a parameter, when they are a list of words (`a`, `b`); "as `rule`" follows that rule. */
function choicesOf(parameter, depth = 0) {
  const allowed = parameter.allowed || "";
  const as = /^as `([a-z_]+)`$/.exec(allowed.trim());
  if (as && depth < 3) {
    const other = ruleOf(as[1])?.parameters.find((p) => p.key === parameter.key);
    return other ? choicesOf(other, depth + 1) : null;
  }
  const words = [...allowed.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const rest = allowed.replace(/`[^`]+`/g, "").replace(/[,\s]|or/g, "");
  return words.length >= 2 && rest === "" ? words : null;
}

// ------------------------------------------------------------------ loading a scenario

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Makes `scenario` (parsed) the base of the form, and draws the form from it. */
function setBase(base) {
  base.tables = readToml(base.toml);
  state.base = base;
  state.strategies = base.tables
    .filter((t) => t.name === "strategies" && t.array)
    .map((t) => {
      const { name, rule, timing, ...params } = t.entries;
      return {
        name: tomlScalar(name) ?? "",
        rule: tomlScalar(rule) ?? "",
        timing: tomlScalar(timing) ?? "",
        params,
      };
    });
  state.strategiesEdited = false;
  const run = base.tables.find((t) => t.name === "run");
  $("run-replications").value = tomlScalar(run?.entries.replications) ?? "";
  $("run-seed").value = tomlScalar(run?.entries.seed) ?? "";
  renderFund();
  renderStrategies();
  $("scenario-summary").textContent = base.builtin
    ? (state.scenarios.find((s) => s.name === base.name)?.summary ?? "")
    : `From the file ${base.name}.`;
  const portfolio = base.tables.find((t) => t.name === "portfolio");
  const csvName = tomlScalar(portfolio?.entries.csv);
  $("portfolio-file-help").textContent =
    csvName && !base.portfolioCsv && !state.uploadedCsv
      ? `This scenario reads the portfolio file ${csvName}: open it here.`
      : "Replaces the portfolio file the scenario names.";
}

async function loadBuiltin(name) {
  const scenario = await getJson(`/api/scenarios/${encodeURIComponent(name)}`);
  $("scenario-select").value = name;
  setBase({ name, builtin: true, toml: scenario.toml, portfolioCsv: scenario.portfolio_csv ?? null });
}

function readFile(input) {
  return new Promise((resolve, reject) => {
    const file = input.files && input.files[0];
    if (!file) return resolve(null);
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, text: String(reader.result) });
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

// ------------------------------------------------------------------ the form

/** Where a problem's key is shown: {input, error}. Rebuilt with the form. */
let fieldsByKey = new Map();

/** A labelled field with help text and a place for its error message. */
function field(key, labelText, control, help) {
  const id = control.id;
  const errorId = idOf("err", key);
  const helpId = help ? id + "-help" : null;
  control.setAttribute("aria-describedby", [helpId, errorId].filter(Boolean).join(" "));
  control.dataset.key = key;
  const error = el("p", { id: errorId, class: "field-error", hidden: true });
  fieldsByKey.set(key, { input: control, error });
  return el(
    "div",
    { class: "field" },
    el("label", { for: id, text: labelText }),
    control,
    help ? el("p", { id: helpId, class: "help", text: help }) : null,
    error,
  );
}

function resetFieldMap() {
  fieldsByKey = new Map();
  fieldsByKey.set("run.replications", { input: $("run-replications"), error: $("err-run-replications") });
  fieldsByKey.set("run.seed", { input: $("run-seed"), error: $("err-run-seed") });
  fieldsByKey.set("uncertainty.joint", { input: $("run-uncertainty"), error: $("err-run-uncertainty") });
  fieldsByKey.set("uncertainty", { input: $("run-uncertainty"), error: $("err-run-uncertainty") });
  fieldsByKey.set("portfolio.csv", { input: $("portfolio-file"), error: $("err-portfolio-file") });
}

/** The schema's fund fields, and after them any other scalar the scenario's [fund] table sets. */
function fundSpecs() {
  const specs = [...state.schema.fund];
  const known = new Set(specs.map((spec) => spec.key));
  const fund = state.base.tables.find((t) => t.name === "fund");
  for (const [key, raw] of Object.entries(fund?.entries ?? {})) {
    const value = tomlScalar(raw);
    if (known.has(`fund.${key}`) || (typeof value !== "number" && typeof value !== "boolean")) continue;
    specs.push({ key: `fund.${key}`, label: key.replace(/_/g, " "), description: "", default: null, unit: key.endsWith("_eur") ? "EUR" : key.endsWith("_months") ? "months" : "" });
  }
  return specs;
}

function renderFund() {
  resetFieldMap();
  const fund = state.base.tables.find((t) => t.name === "fund");
  const container = $("fund-fields");
  container.replaceChildren();
  for (const spec of fundSpecs()) {
    const short = spec.key.replace(/^fund\./, "");
    const current = tomlScalar(fund?.entries[short]);
    const value = current ?? spec.default;
    const id = idOf("f", spec.key);
    let control;
    if (typeof spec.default === "boolean" || typeof value === "boolean") {
      control = el("select", { id }, el("option", { value: "true", text: "yes" }), el("option", { value: "false", text: "no" }));
      control.value = String(Boolean(value));
    } else {
      control = el("input", { id, type: "number", step: spec.integer ? "1" : "any", inputmode: spec.integer ? "numeric" : "decimal", min: spec.min ?? undefined, max: spec.max ?? undefined });
      control.value = value ?? "";
    }
    control.dataset.base = current === undefined ? "" : String(current);
    // Inside "Fund" the section names the table; a label that already gives its unit keeps it.
    const label = (spec.label || short).replace(/^Fund (\w)/, (_, first) => first.toUpperCase());
    const unit = spec.unit && !label.includes("(") ? ` (${spec.unit})` : "";
    const plain = (n) => (typeof n === "number" ? n.toLocaleString("en", { maximumFractionDigits: 6 }) : String(n));
    const range = spec.min !== undefined && spec.min !== null && spec.max !== undefined && spec.max !== null ? ` Allowed: ${plain(spec.min)} to ${plain(spec.max)}.` : "";
    const fallback = current === undefined && spec.default !== undefined && spec.default !== null ? ` Default: ${plain(spec.default)}.` : "";
    const description = spec.description && !/[.!?]$/.test(spec.description) ? spec.description + "." : spec.description || "";
    container.append(field(spec.key, label + unit, control, description + range + fallback));
  }
  // The strategies' fields are added to the map when they are drawn.
}

function renderStrategies() {
  for (const key of [...fieldsByKey.keys()]) if (key.startsWith("strategies")) fieldsByKey.delete(key);
  const list = $("strategy-list");
  list.replaceChildren();
  state.strategies.forEach((strategy, index) => list.append(strategyFieldset(strategy, index)));
}

function strategyFieldset(strategy, index) {
  const prefix = `strategies[${index}]`;
  const swatch = el("span", { class: `swatch sw-${index % PALETTE_SIZE}${index >= PALETTE_SIZE ? " sw-dashed" : ""}`, "aria-hidden": "true" });
  const legend = el("legend", {}, swatch, `Strategy ${index + 1}: ${strategy.name || "(unnamed)"}`);
  const set = el("fieldset", { class: "strategy", dataset: { index } }, legend);
  const general = el("p", { id: idOf("err", prefix), class: "field-error", hidden: true });
  fieldsByKey.set(prefix, { input: null, error: general });

  const name = el("input", { id: idOf("s", prefix + ".name"), type: "text", autocomplete: "off" });
  name.value = strategy.name;
  name.addEventListener("input", () => {
    strategy.name = name.value;
    legend.lastChild.textContent = `Strategy ${index + 1}: ${strategy.name || "(unnamed)"}`;
    edited();
  });

  const rule = el("select", { id: idOf("s", prefix + ".rule") });
  for (const r of state.schema.rules) rule.append(el("option", { value: r.name, text: r.name }));
  if (!ruleOf(strategy.rule)) rule.append(el("option", { value: strategy.rule, text: strategy.rule }));
  rule.value = strategy.rule;
  rule.addEventListener("change", () => {
    strategy.rule = rule.value;
    const keys = new Set((ruleOf(rule.value)?.parameters ?? []).map((p) => p.key));
    for (const key of Object.keys(strategy.params)) if (!keys.has(key)) delete strategy.params[key];
    edited();
    renderStrategies();
    $(idOf("s", prefix + ".rule"))?.focus();
  });

  const timing = el("select", { id: idOf("s", prefix + ".timing") }, el("option", { value: "", text: "the rule's default" }));
  for (const t of state.schema.timings) timing.append(el("option", { value: t, text: t.replace(/_/g, " ") }));
  timing.value = strategy.timing;
  timing.addEventListener("change", () => {
    strategy.timing = timing.value;
    edited();
  });

  const ruleSpec = ruleOf(strategy.rule);
  set.append(
    el(
      "div",
      { class: "field-row" },
      field(prefix + ".name", "Name", name),
      field(prefix + ".rule", "Rule", rule, ruleSpec?.summary),
      field(prefix + ".timing", "Timing", timing),
    ),
  );
  const params = el("div", { class: "params" });
  for (const parameter of ruleSpec?.parameters ?? []) params.append(parameterField(strategy, prefix, parameter));
  for (const key of Object.keys(strategy.params)) {
    if (!ruleSpec?.parameters.some((p) => p.key === key)) {
      params.append(parameterField(strategy, prefix, { key, description: ruleSpec ? "not a parameter of this rule" : "", default: null, allowed: "" }));
    }
  }
  if (params.childElementCount) {
    // Collapsed, with the values that are set in the summary: the list of strategies stays short.
    const given = Object.entries(strategy.params).map(([key, raw]) => `${key.replace(/_/g, " ")} ${raw.replace(/\s+/g, " ")}`);
    const summary = `Parameters (${params.childElementCount})` + (given.length ? `: ${given.join(", ")}` : ": the rule's defaults");
    const details = el("details", { class: "parameters", open: openParameters.has(strategy) }, el("summary", { text: summary }), params);
    details.addEventListener("toggle", () => (details.open ? openParameters.add(strategy) : openParameters.delete(strategy)));
    set.append(details);
  }
  const remove = el("button", { type: "button", class: "remove", text: `Remove ${strategy.name || "this strategy"}` });
  remove.addEventListener("click", () => {
    state.strategies.splice(index, 1);
    edited();
    renderStrategies();
    $("add-strategy").focus();
  });
  set.append(general, remove);
  return set;
}

/** The strategies whose parameter list is open, so that it stays open when the form is redrawn. */
const openParameters = new WeakSet();

function parameterField(strategy, prefix, parameter) {
  const key = `${prefix}.${parameter.key}`;
  const id = idOf("s", key);
  const raw = strategy.params[parameter.key];
  const choices = choicesOf(parameter);
  const defaultText = parameter.required
    ? "required"
    : parameter.default === null || parameter.default === undefined
      ? "not set"
      : typeof parameter.default === "object"
        ? JSON.stringify(parameter.default)
        : String(parameter.default);
  let control;
  if (choices && (raw === undefined || choices.map(String).includes(String(tomlScalar(raw))))) {
    control = el("select", { id }, el("option", { value: "", text: `default (${defaultText})` }));
    for (const choice of choices) control.append(el("option", { value: choice, text: choice }));
    control.value = raw === undefined ? "" : String(tomlScalar(raw));
    control.addEventListener("change", () => {
      if (control.value === "") delete strategy.params[parameter.key];
      else if (control.value === "true" || control.value === "false") strategy.params[parameter.key] = control.value;
      else strategy.params[parameter.key] = tomlOf(control.value);
      edited();
    });
  } else {
    control = el("input", { id, type: "text", autocomplete: "off", spellcheck: "false", placeholder: `default: ${defaultText}` });
    const scalar = tomlScalar(raw);
    control.value = raw === undefined ? "" : typeof scalar === "string" ? scalar : raw;
    control.addEventListener("input", () => {
      if (control.value.trim() === "") delete strategy.params[parameter.key];
      else strategy.params[parameter.key] = tomlOfTyped(control.value);
      edited();
    });
  }
  const sentence = (text) => (text && !/[.!?]$/.test(text) ? text + "." : text);
  const help = [sentence(parameter.description), parameter.allowed ? `Allowed: ${parameter.allowed.replace(/`/g, "")}.` : "", `Default: ${defaultText}.`].filter(Boolean).join(" ");
  return field(key, parameter.key.replace(/_/g, " "), control, help);
}

function edited() {
  state.strategiesEdited = true;
  schedule();
}

/** The [[strategies]] tables of the form, as TOML. */
function strategiesToml() {
  return state.strategies
    .map((s) => {
      const lines = ["[[strategies]]", `name = ${tomlOf(s.name)}`, `rule = ${tomlOf(s.rule)}`];
      if (s.timing) lines.push(`timing = ${tomlOf(s.timing)}`);
      for (const [key, raw] of Object.entries(s.params)) lines.push(`${key} = ${raw}`);
      return lines.join("\n") + "\n";
    })
    .join("\n");
}

// ------------------------------------------------------------------ the request

/**
 * The run body of the form (contract A of the API): the built-in's name while only numbers
 * changed (as `set`, checked like `--set`), otherwise the edited TOML text. Returns
 * {body, problems} where problems are found before asking the server.
 */
function buildBody() {
  const problems = [];
  const set = {};
  let text = state.base.toml;
  let textEdited = state.strategiesEdited;
  for (const spec of fundSpecs()) {
    const input = $(idOf("f", spec.key));
    if (!input) continue;
    const short = spec.key.replace(/^fund\./, "");
    if (input.tagName === "SELECT") {
      const base = input.dataset.base;
      if (input.value !== (base === "" ? String(Boolean(spec.default)) : base)) {
        text = setTomlValue(text, "fund", short, input.value);
        textEdited = true;
      }
      continue;
    }
    if (input.value.trim() === "") {
      if (input.dataset.base !== "") problems.push({ key: spec.key, message: "enter a number" });
      continue;
    }
    const value = Number(input.value);
    if (!Number.isFinite(value)) problems.push({ key: spec.key, message: "enter a number" });
    else {
      // A field the scenario leaves out has the schema's default: sent only when changed,
      // so that an unchanged built-in still goes by name and its TOML stays as it is.
      const reference = input.dataset.base !== "" ? Number(input.dataset.base) : spec.default;
      if (typeof reference !== "number" || value !== reference) set[spec.key] = value;
    }
  }
  if (state.strategiesEdited) text = replaceStrategies(text, strategiesToml());
  const uncertainty = $("run-uncertainty").value;
  if (textEdited && uncertainty === "false") {
    // Fixed parameters: the edited text goes without its [uncertainty] table, so that a
    // table naming a file of joint draws (which the server reads for no client) does not
    // stop the run, and the downloaded file needs no such file.
    text = removeTables(text, (name) => name === "uncertainty" || name.startsWith("uncertainty."));
  }
  const body = {};
  body.scenario = state.base.builtin && !textEdited ? state.base.name : text;
  if (typeof body.scenario === "string" && body.scenario === text) body.file_name = state.base.builtin ? `${state.base.name}.toml` : state.base.name;
  const csv = state.uploadedCsv?.text ?? (typeof body.scenario === "string" && body.scenario !== state.base.name ? state.base.portfolioCsv : null);
  if (csv) body.portfolio_csv = csv;
  for (const [key, id] of [["replications", "run-replications"], ["seed", "run-seed"]]) {
    const raw = $(id).value.trim();
    if (raw === "") continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || (key === "replications" && value < 1)) {
      problems.push({ key: `run.${key}`, message: key === "seed" ? "enter a whole number, 0 or more" : "enter a whole number, 1 or more" });
    } else body[key] = value;
  }
  if (Object.keys(set).length) body.set = set;
  if (uncertainty) body.uncertainty = uncertainty === "true";
  return { body, problems };
}

// ------------------------------------------------------------------ running

class ApiError extends Error {
  constructor(status, answer) {
    super(answer?.error || `the server answered ${status}`);
    this.status = status;
    this.problems = answer?.problems || [];
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    });
  });

/** Reads an error answer (JSON as in the contract, or text). */
async function errorOf(response) {
  const text = await response.text();
  try {
    return new ApiError(response.status, JSON.parse(text));
  } catch {
    return new ApiError(response.status, { error: text || response.statusText });
  }
}

/** POST /api/run as NDJSON: reports progress, resolves with the result. A busy server is asked again. */
async function streamRun(body, signal, onProgress) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch("/api/run", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
      body: JSON.stringify(body),
      signal,
    });
    if (response.status === 503 && attempt < BUSY_RETRIES) {
      setStatus("The server is busy; asking again…");
      await sleep(1000, signal);
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    if (!(response.headers.get("Content-Type") || "").includes("ndjson")) return response.json();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { done, value } = await reader.read();
      buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line);
        if (message.progress) onProgress(message.progress.done, message.progress.total);
        else if (message.result) return message.result;
        else if (message.error) throw new ApiError(400, message.error);
      }
      if (done) {
        if (buffered.trim()) {
          const message = JSON.parse(buffered);
          if (message.result) return message.result;
          if (message.error) throw new ApiError(400, message.error);
        }
        throw new Error("the server closed the answer without a result");
      }
    }
  }
}

function setStatus(text, done, total) {
  $("status-text").textContent = text;
  const bar = $("progress");
  if (total) {
    bar.max = total;
    bar.value = done;
  } else if (done === undefined) bar.removeAttribute("value");
  else {
    bar.max = 1;
    bar.value = done;
  }
}

function schedule() {
  clearTimeout(state.timer);
  $("results").dataset.state = state.result ? "pending" : "empty";
  setStatus("Waiting for you to finish typing…", 0);
  state.timer = setTimeout(update, DEBOUNCE_MS);
}

/** Runs the form's configuration: a fast estimate, then the requested count. A newer call cancels this one. */
async function update() {
  clearTimeout(state.timer);
  if (!state.base) return;
  const { body, problems } = buildBody();
  clearProblems();
  if (problems.length) {
    showProblems(problems, "Please correct the marked fields.");
    $("results").dataset.state = "error";
    setStatus("Please correct the marked fields.", 0);
    return;
  }
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  const generation = ++state.generation;
  writeShareUrl();
  const requested = body.replications ?? ESTIMATE_REPLICATIONS;
  const phases = requested > ESTIMATE_REPLICATIONS ? [["estimate", ESTIMATE_REPLICATIONS], ["final", requested]] : [["final", requested]];
  $("results").dataset.state = "running";
  try {
    for (const [phase, replications] of phases) {
      const phaseBody = { ...body, replications };
      const label = phase === "estimate" ? "Fast estimate" : "Refining";
      setStatus(`${label}: starting…`);
      const result = await streamRun(phaseBody, controller.signal, (done, total) =>
        setStatus(`${label}: ${done.toLocaleString("en")} of ${total.toLocaleString("en")} replications`, done, total),
      );
      if (generation !== state.generation) return;
      state.lastBody = phaseBody;
      renderResult(result, phase);
    }
    setStatus(`Done: ${state.result.replications.toLocaleString("en")} replications.`, 1);
    if (state.pinned) await runCompare(controller.signal, generation);
  } catch (error) {
    if (error.name === "AbortError" || generation !== state.generation) return;
    $("results").dataset.state = "error";
    if (error instanceof ApiError) {
      showProblems(error.problems, error.message);
      setStatus(error.status === 413 ? "Too large for the web app: use the command line." : "The scenario has problems: see the marked fields.", 0);
    } else {
      showProblems([], String(error.message || error));
      setStatus("Something went wrong.", 0);
    }
  }
}

// ------------------------------------------------------------------ problems next to the fields

function clearProblems() {
  $("top-errors").hidden = true;
  $("top-errors").replaceChildren();
  for (const { input, error } of fieldsByKey.values()) {
    input?.removeAttribute("aria-invalid");
    error.hidden = true;
    error.textContent = "";
  }
}

/** Each problem next to the field its full key names; the others, and the message, at the top. */
function showProblems(problems, message) {
  const unplaced = [];
  for (const problem of problems) {
    const key = problem.key || "";
    const strategy = /^(strategies\[\d+\])/.exec(key);
    const place = fieldsByKey.get(key) || (strategy && fieldsByKey.get(strategy[1]));
    if (!place) {
      unplaced.push(problem);
      continue;
    }
    place.input?.setAttribute("aria-invalid", "true");
    const details = place.input?.closest("details");
    if (details) details.open = true;
    place.error.hidden = false;
    const prefix = place.input ? "" : `${key}: `;
    const hint = key === "uncertainty.joint" ? " Choose “off” to run this edit with fixed parameters." : "";
    place.error.textContent = (place.error.textContent ? place.error.textContent + " " : "") + prefix + problem.message + hint;
  }
  const top = $("top-errors");
  const items = unplaced.map((p) => el("li", {}, p.key ? el("code", { text: p.key }) : null, p.key ? ": " : "", p.message));
  const placed = problems.length - unplaced.length;
  top.append(el("p", { class: "top-title", text: placed ? `${placed} problem${placed > 1 ? "s" : ""} marked in the form.` : "The run did not start." }));
  if (unplaced.length || !placed) top.append(el("pre", { text: message }));
  if (items.length) top.append(el("ul", {}, items));
  top.hidden = false;
}

// ------------------------------------------------------------------ results

function formatValue(metric, value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return formatNumber(metric, value).replace(/^-(?=0(\.0+)?(%| M)?$)/, "");
}

function formatNumber(metric, value) {
  if (/survival|alive|share/.test(metric)) return (100 * value).toFixed(1) + "%";
  if (metric.endsWith("_eur")) {
    if (Math.abs(value) >= 1e6) return (value / 1e6).toFixed(2) + " M";
    return Math.round(value).toLocaleString("en");
  }
  return value.toFixed(2);
}

function formatInterval(metric, low, high) {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return "";
  return `${formatValue(metric, low)} – ${formatValue(metric, high)}`;
}

function swatchFor(index) {
  return el("span", { class: `swatch sw-${index % PALETTE_SIZE}${index >= PALETTE_SIZE ? " sw-dashed" : ""}`, "aria-hidden": "true" });
}

/** A blob URL for an SVG chart: shown through <img>, so nothing in it can run. */
function svgUrl(slot, svg) {
  if (state.objectUrls[slot]) URL.revokeObjectURL(state.objectUrls[slot]);
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  state.objectUrls[slot] = url;
  return url;
}

function textUrl(slot, text, type) {
  if (state.objectUrls[slot]) URL.revokeObjectURL(state.objectUrls[slot]);
  const url = URL.createObjectURL(new Blob([text], { type }));
  state.objectUrls[slot] = url;
  return url;
}

function renderResult(result, phase) {
  state.result = result;
  const results = $("results");
  results.dataset.state = phase;
  results.dataset.replications = result.replications;
  const names = result.strategies.map((s) => s.name);
  const summary = new Map(result.summary.map((row) => [`${row.strategy}\u0000${row.metric}`, row]));
  const metrics = MAIN_METRICS.filter(([metric]) => result.summary.some((row) => row.metric === metric));
  const uncertainty = result.uncertainty && result.uncertainty.rows?.length ? result.uncertainty : null;
  const ranges = new Map((uncertainty?.rows ?? []).map((row) => [`${row.strategy}\u0000${row.metric}`, row]));

  $("strategy-caption").textContent =
    `${result.replications.toLocaleString("en")} replications, seed ${result.seed}. Mean and 95% Monte Carlo interval` +
    (uncertainty ? `; range: 5–95% of the means across ${uncertainty.parameter_sets} parameter sets` : "") +
    (phase === "estimate" ? ". A fast estimate: refining…" : ".");
  const head = el("tr", {}, el("th", { scope: "col", text: "Strategy (rule)" }));
  for (const [, label] of metrics) head.append(el("th", { scope: "col", text: label }));
  if (uncertainty) {
    head.append(
      el("th", { scope: "col", text: "Survival across parameter sets (5–95%)" }),
      el("th", { scope: "col" }, el("abbr", { title: `probability of the highest ${DECISION_METRIC.replace(/_/g, " ")}`, text: "P(best)" })),
    );
  }
  $("strategy-table").tHead.replaceChildren(head);
  const rows = result.strategies.map((strategy, index) => {
    const row = el("tr", { dataset: { strategy: strategy.name } }, el("th", { scope: "row" }, swatchFor(index), strategy.name, el("span", { class: "rule", text: strategy.rule })));
    for (const [metric] of metrics) {
      const s = summary.get(`${strategy.name}\u0000${metric}`);
      const cell = el("td", { dataset: { metric } });
      if (s) {
        cell.dataset.mean = s.mean === null ? "" : String(s.mean);
        cell.dataset.ciLow = s.ci_low === null ? "" : String(s.ci_low);
        cell.dataset.ciHigh = s.ci_high === null ? "" : String(s.ci_high);
        cell.append(el("span", { class: "mean", text: formatValue(metric, s.mean) }));
        const interval = formatInterval(metric, s.ci_low, s.ci_high);
        if (interval) cell.append(el("span", { class: "interval", text: interval }));
      } else cell.textContent = "—";
      row.append(cell);
    }
    if (uncertainty) {
      const u = ranges.get(`${strategy.name}\u0000${DECISION_METRIC}`);
      row.append(el("td", { class: "range", text: u ? formatInterval(DECISION_METRIC, u.p05, u.p95) || "—" : "—" }));
      const p = u?.probability_best;
      row.append(el("td", { class: "pbest", text: Number.isFinite(p) ? `${Math.round(100 * p)}%` : "—" }));
    }
    return row;
  });
  $("strategy-table").tBodies[0].replaceChildren(...rows);

  const legend = $("metric-legend");
  legend.replaceChildren();
  for (const [metric, label] of metrics) {
    const spec = state.schema.metrics?.find((m) => m.name === metric);
    legend.append(el("dt", { text: label }), el("dd", { text: spec?.description ?? metric }));
  }

  renderCharts(result, names);
  renderAtRisk(result, names);
  renderDownloads(result);
  $("result-note").textContent = phase === "estimate" ? "A fast estimate; the full run is on its way." : "";
}

function renderCharts(result) {
  const survival = $("chart-survival");
  const ce = $("chart-ce");
  if (result.charts?.survival) survival.src = svgUrl("survival", result.charts.survival);
  if (result.charts?.cost_effectiveness) ce.src = svgUrl("ce", result.charts.cost_effectiveness);
  survival.hidden = !result.charts?.survival;
  ce.hidden = !result.charts?.cost_effectiveness;
  const last = (array) => array[array.length - 1];
  const ends = (result.survival || []).map((s) => `${s.strategy} ${formatValue("survival", last(s.survival))}`);
  const horizon = result.survival?.[0] ? last(result.survival[0].months) : "";
  survival.alt = `Survival chart: share of projects never abandoned, month 0 to ${horizon}, one line per strategy. At month ${horizon}: ${ends.join(", ")}.`;
  ce.alt = "Cost-effectiveness chart: what each strategy paid against what it gained over no funding, with intervals.";
}

function renderAtRisk(result) {
  const curves = result.survival || [];
  const table = $("at-risk-table");
  if (!curves.length) {
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
    return;
  }
  const months = curves[0].months;
  // Whole years, at most about six columns, and the last month: a table that fits beside the chart.
  const step = 12 * Math.max(1, Math.ceil(months[months.length - 1] / 12 / 6));
  const columns = months.map((m, i) => [m, i]).filter(([m], i) => m % step === 0 || i === months.length - 1);
  table.tHead.replaceChildren(el("tr", {}, el("th", { scope: "col", text: "Month" }), columns.map(([m]) => el("th", { scope: "col", text: String(m) }))));
  const order = result.strategies.map((s) => s.name);
  const rows = curves.map((curve) => {
    const index = order.indexOf(curve.strategy);
    return el("tr", {}, el("th", { scope: "row" }, swatchFor(Math.max(index, 0)), curve.strategy), columns.map(([, i]) => el("td", { text: ((curve.at_risk[i] ?? 0) / result.replications).toFixed(1) })));
  });
  table.tBodies[0].replaceChildren(...rows);
}

function baseFileName() {
  return state.base.name.replace(/\.toml$/i, "").replace(/[^A-Za-z0-9._-]/g, "_");
}

function renderDownloads(result) {
  const toml = $("download-toml");
  toml.href = textUrl("toml", result.scenario_toml, "application/toml");
  toml.download = `${baseFileName()}-${result.replications}.toml`;
  toml.removeAttribute("aria-disabled");
  const csv = $("download-csv");
  if (result.portfolio_csv) {
    const named = result.portfolio_file || tomlScalar(readToml(result.scenario_toml).find((t) => t.name === "portfolio")?.entries.csv);
    csv.href = textUrl("csv", result.portfolio_csv, "text/csv");
    csv.download = named ? named.split(/[\\/]/).pop() : "portfolio.csv";
    csv.textContent = `Portfolio (CSV): save as ${csv.download} beside the TOML`;
    csv.hidden = false;
    csv.removeAttribute("aria-disabled");
  } else csv.hidden = true;
  // Other files the scenario names (e.g. a built-in's joint draws), when the server sends them.
  const files = $("download-files");
  files.replaceChildren();
  const companions = { ...(result.files || {}) };
  if (result.joint_csv) companions[result.joint_file || "joint-draws.csv"] = result.joint_csv;
  for (const [name, text] of Object.entries(companions)) {
    const link = el("a", { class: "button-link", href: textUrl(`file-${name}`, text, "text/csv"), download: name, text: `${name} (CSV): save beside the TOML` });
    files.append(link, " ");
  }
  files.hidden = !files.childElementCount;
}

/** POSTs the current configuration and saves the answer as a file. */
async function download(path, fileName, button) {
  const body = state.lastBody || buildBody().body;
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Preparing…";
  try {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw await errorOf(response);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: fileName, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    setStatus(`Saved ${fileName}.`, 1);
  } catch (error) {
    showProblems(error.problems || [], String(error.message || error));
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

// ------------------------------------------------------------------ A/B comparison

function describe(body) {
  const parts = [typeof body.scenario === "string" && body.scenario === state.base?.name ? `scenario ${body.scenario}` : `edited scenario (${state.base?.name})`];
  for (const [key, value] of Object.entries(body.set || {})) parts.push(`${key} = ${value.toLocaleString("en")}`);
  if (body.uncertainty !== undefined) parts.push(`uncertainty ${body.uncertainty ? "on" : "off"}`);
  return parts.join("; ");
}

async function runCompare(signal, generation) {
  const b = state.lastBody;
  const a = { ...state.pinned.body, replications: b.replications, seed: b.seed };
  setStatus("Comparing A and B on the same random numbers…");
  const response = await fetch("/api/compare", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ a, b }), signal });
  if (!response.ok) throw await errorOf(response);
  const answer = await response.json();
  if (generation !== state.generation) return;
  renderCompare(answer);
  setStatus(`Done: ${b.replications?.toLocaleString("en") ?? ""} replications, A and B compared.`, 1);
}

function renderCompare(answer) {
  const table = $("compare-table");
  const find = (result, strategy, metric) => result.summary.find((r) => r.strategy === strategy && r.metric === metric);
  const metrics = MAIN_METRICS.filter(([metric]) => answer.differences.some((d) => d.metric === metric));
  $("compare-caption").textContent = `B − A, paired by replication (${answer.b.replications.toLocaleString("en")} replications, seed ${answer.b.seed}); 95% intervals.`;
  table.tHead.replaceChildren(
    el("tr", {}, ["Strategy", "Metric", "A (pinned)", "B (current)", "B − A", "95% interval"].map((t) => el("th", { scope: "col", text: t }))),
  );
  const order = answer.b.strategies.map((s) => s.name);
  const rows = [];
  for (const difference of answer.differences) {
    const metric = metrics.find(([m]) => m === difference.metric);
    if (!metric) continue;
    const a = find(answer.a, difference.strategy, difference.metric);
    const b = find(answer.b, difference.strategy, difference.metric);
    const signed = (v) => (v > 0 ? "+" : "") + formatValue(difference.metric, v);
    const clear = difference.ci_low > 0 || difference.ci_high < 0;
    rows.push(
      el(
        "tr",
        { class: clear ? "clear" : "", dataset: { strategy: difference.strategy, metric: difference.metric } },
        el("th", { scope: "row" }, swatchFor(Math.max(order.indexOf(difference.strategy), 0)), difference.strategy),
        el("td", { class: "metric", text: metric[1] }),
        el("td", { text: formatValue(difference.metric, a?.mean) }),
        el("td", { text: formatValue(difference.metric, b?.mean) }),
        el("td", { class: "difference", text: Number.isFinite(difference.mean) ? signed(difference.mean) : "—" }),
        el("td", { text: Number.isFinite(difference.ci_low) ? `${signed(difference.ci_low)} to ${signed(difference.ci_high)}` : "—" }),
      ),
    );
  }
  table.tBodies[0].replaceChildren(...rows);
  table.hidden = false;
}

// ------------------------------------------------------------------ sharing

/** The configuration as a compact, URL-safe string (deflated when the browser can). */
async function encodeShare(object) {
  const bytes = new TextEncoder().encode(JSON.stringify(object));
  let packed = bytes;
  let kind = "j";
  if (typeof CompressionStream === "function") {
    packed = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer());
    kind = "z";
  }
  let binary = "";
  for (const byte of packed) binary += String.fromCharCode(byte);
  return kind + "." + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function decodeShare(text) {
  const [kind, data] = text.split(".", 2);
  const binary = atob(data.replace(/-/g, "+").replace(/_/g, "/"));
  let bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (kind === "z") bytes = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).arrayBuffer());
  else if (kind !== "j") throw new Error("not a fundsim link");
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** What the link restores: the base scenario and every value of the form that differs from it. */
function shareState() {
  const fund = {};
  for (const spec of fundSpecs()) {
    const input = $(idOf("f", spec.key));
    if (input && input.value !== (input.dataset.base === "" ? String(spec.default ?? "") : input.dataset.base)) fund[spec.key] = input.value;
  }
  return {
    v: 1,
    scenario: state.base.builtin ? state.base.name : undefined,
    file: state.base.builtin ? undefined : { name: state.base.name, toml: state.base.toml, csv: state.base.portfolioCsv },
    csv: state.uploadedCsv ?? undefined,
    fund,
    strategies: state.strategiesEdited ? state.strategies : undefined,
    replications: $("run-replications").value,
    seed: $("run-seed").value,
    uncertainty: $("run-uncertainty").value || undefined,
  };
}

async function writeShareUrl() {
  try {
    const hash = "#c=" + (await encodeShare(shareState()));
    history.replaceState(null, "", hash);
    $("share-url").value = location.href;
  } catch (error) {
    $("share-url").value = `(no link: ${error.message})`;
  }
}

async function restoreShare(hash) {
  const shared = await decodeShare(hash.replace(/^#c=/, ""));
  if (shared.scenario) await loadBuiltin(shared.scenario);
  else if (shared.file) {
    $("scenario-select").value = "";
    setBase({ name: shared.file.name, builtin: false, toml: shared.file.toml, portfolioCsv: shared.file.csv ?? null });
  }
  state.uploadedCsv = shared.csv ?? null;
  for (const [key, value] of Object.entries(shared.fund || {})) {
    const input = $(idOf("f", key));
    if (input) input.value = value;
  }
  if (shared.strategies) {
    state.strategies = shared.strategies;
    state.strategiesEdited = true;
    renderStrategies();
  }
  $("run-replications").value = shared.replications ?? "";
  $("run-seed").value = shared.seed ?? "";
  $("run-uncertainty").value = shared.uncertainty ?? "";
}

// ------------------------------------------------------------------ start

function wireControls() {
  $("controls").addEventListener("submit", (event) => event.preventDefault());
  // Every typed value reruns, debounced; the strategy fields call edited() themselves.
  $("controls").addEventListener("input", (event) => {
    if (event.target.closest(".strategy") || event.target.type === "file") return;
    schedule();
  });
  $("controls").addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT" && !event.target.closest(".strategy") && event.target.id !== "scenario-select") schedule();
  });
  $("scenario-select").addEventListener("change", async () => {
    state.uploadedCsv = null;
    $("scenario-file").value = "";
    $("portfolio-file").value = "";
    await loadBuiltin($("scenario-select").value);
    update();
  });
  $("scenario-file").addEventListener("change", async () => {
    const file = await readFile($("scenario-file"));
    if (!file) return;
    $("scenario-select").value = "";
    setBase({ name: file.name, builtin: false, toml: file.text, portfolioCsv: null });
    update();
  });
  $("portfolio-file").addEventListener("change", async () => {
    state.uploadedCsv = await readFile($("portfolio-file"));
    if (state.base) setBase(state.base);
    update();
  });
  $("add-strategy").addEventListener("click", () => {
    const names = new Set(state.strategies.map((s) => s.name));
    let n = state.strategies.length + 1;
    while (names.has(`strategy-${n}`)) n++;
    state.strategies.push({ name: `strategy-${n}`, rule: "equal", timing: "", params: {} });
    edited();
    renderStrategies();
    $(idOf("s", `strategies[${state.strategies.length - 1}].name`)).focus();
  });
  $("pin").addEventListener("click", () => {
    if (!state.lastBody) return;
    state.pinned = { body: { ...state.lastBody }, description: describe(state.lastBody) };
    $("pin-summary").textContent = `A: ${state.pinned.description}. Now change the form: B follows it.`;
    $("unpin").disabled = false;
    update();
  });
  $("unpin").addEventListener("click", () => {
    state.pinned = null;
    $("pin-summary").textContent = "";
    $("compare-table").hidden = true;
    $("unpin").disabled = true;
    $("pin").focus();
  });
  $("download-toml").addEventListener("click", (event) => {
    if ($("download-toml").getAttribute("aria-disabled")) event.preventDefault();
  });
  $("download-zip").addEventListener("click", () => download("/api/download/zip", `${baseFileName()}-run.zip`, $("download-zip")));
  $("download-brief").addEventListener("click", () => download("/api/download/brief", `${baseFileName()}-brief.html`, $("download-brief")));
  $("copy-share").addEventListener("click", async () => {
    await writeShareUrl();
    try {
      await navigator.clipboard.writeText($("share-url").value);
      setStatus("Link copied.", 1);
    } catch {
      $("share-url").select();
      setStatus("Select the link and copy it.", 1);
    }
  });
  window.addEventListener("hashchange", async () => {
    if (!location.hash.startsWith("#c=") || location.href === $("share-url").value) return;
    await restoreShare(location.hash);
    update();
  });
}

async function start() {
  wireControls();
  try {
    const [schema, scenarios] = await Promise.all([getJson("/api/schema"), getJson("/api/scenarios")]);
    state.schema = schema;
    state.scenarios = scenarios;
    const select = $("scenario-select");
    select.append(el("option", { value: "", text: "(a file of yours)", disabled: true }));
    for (const s of scenarios) select.append(el("option", { value: s.name, text: s.name }));
    if (location.hash.startsWith("#c=")) {
      try {
        await restoreShare(location.hash);
      } catch (error) {
        showProblems([], `The link could not be read (${error.message}); the default scenario is shown.`);
      }
    }
    if (!state.base) {
      const first = scenarios.find((s) => s.name === schema.default_scenario) || scenarios.find((s) => s.name === "stf") || scenarios[0];
      await loadBuiltin(first.name);
    }
    update();
  } catch (error) {
    showProblems([], `The page could not reach the fundsim server: ${error.message}`);
    setStatus("Not connected.", 0);
  }
}

document.addEventListener("DOMContentLoaded", start);
