/**
 * validateRecipe(text, file): pure. Parses YAML keeping positions, checks the schema and the
 * cross-field rules, and returns either the defaulted Recipe with its digest or every error, each
 * with the path of the field and the line/column of the YAML node at fault.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  type Document,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import { applyDefaults } from './defaults.js';
import { recipeDigest } from './digest.js';
import { formatPath, pointerToPath, type RecipePath, valueAt } from './path.js';
import { recipeSchema } from './schema.js';
import { type Issue, semanticIssues } from './semantics.js';
import type { Recipe } from './types.js';
import { type Anchor, locate, sourceText } from './yaml-position.js';

export interface RecipeError {
  file: string;
  line: number;
  column: number;
  /** `build.steps[1].run`; `(root)` for the document itself. */
  path: string;
  message: string;
}

export type RecipeValidation = { recipe: Recipe; digest: string } | { errors: RecipeError[] };

/** `recipes/java-17.yml:12:5 build.steps[1].run: must be string` */
export function formatRecipeError(e: RecipeError): string {
  return `${e.file}:${e.line}:${e.column} ${e.path}: ${e.message}`;
}

export function validateRecipe(text: string, file: string): RecipeValidation {
  return analyzeRecipe(text, file).result;
}

/** Limits that keep a hostile file from costing more than a malformed one. */
const MAX_ALIAS_COUNT = 100;
const MAX_TEXT = 4 * 1024 * 1024;

export interface AnalyzedRecipe {
  result: RecipeValidation;
  /** Position of a path in this file, for errors found later (e.g. across a set of recipes). */
  errorAt: (path: RecipePath, message: string, anchor?: Anchor) => RecipeError;
}

export function analyzeRecipe(text: string, file: string): AnalyzedRecipe {
  const lines = new LineCounter();
  const fallback = (path: RecipePath, message: string): RecipeError => ({
    file,
    line: 1,
    column: 1,
    path: formatPath(path),
    message,
  });
  if (text.length > MAX_TEXT)
    return {
      result: { errors: [fallback([], `file is too large (over ${MAX_TEXT} bytes)`)] },
      errorAt: fallback,
    };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser itself gave up (e.g. nesting deeper than its stack): still an answer, not a crash.
    return { result: { errors: [fallback([], `cannot parse YAML: ${describe(e)}`)] }, errorAt: fallback };
  }
  const errorAt = (path: RecipePath, message: string, anchor: Anchor = 'value'): RecipeError => ({
    file,
    ...locate(doc, lines, path, anchor),
    path: formatPath(path),
    message,
  });
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    const errors = yamlProblems.map((p) => {
      const { line, col } = lines.linePos(p.pos[0]);
      return {
        file,
        line,
        column: col,
        path: formatPath(pathAtOffset(doc, p.pos[0])),
        message: `YAML: ${p.code === 'MULTIPLE_DOCS' ? 'a recipe file holds one YAML document (remove the --- and what follows)' : p.message}`,
      };
    });
    return { result: { errors: sortErrors(errors) }, errorAt };
  }
  const badKeys = collectionKeyOffsets(doc);
  if (badKeys.length > 0) {
    const errors = badKeys.map((offset) => {
      const { line, col } = lines.linePos(offset);
      const path = formatPath(pathAtOffset(doc, offset));
      return {
        file,
        line,
        column: col,
        path,
        message: 'YAML: keys must be plain strings, not lists or mappings',
      };
    });
    return { result: { errors }, errorAt };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    return { result: { errors: [errorAt([], `cannot read YAML: ${describe(e)}`)] }, errorAt };
  }
  if (data === null || data === undefined)
    return {
      result: {
        errors: [errorAt([], 'the file is empty: a recipe is a mapping with name, language, version, ...')],
      },
      errorAt,
    };
  const issues = [...schemaIssues(data, doc), ...semanticIssues(data)];
  if (issues.length > 0) {
    const seen = new Set<string>();
    const errors: RecipeError[] = [];
    for (const issue of issues) {
      const err = errorAt(issue.locateAt ?? issue.path, issue.message, issue.anchor);
      err.path = formatPath(issue.path);
      const key = `${err.path}\0${err.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(err);
    }
    return { result: { errors: sortErrors(errors) }, errorAt };
  }
  const recipe = applyDefaults(data as Record<string, unknown>);
  return { result: { recipe, digest: recipeDigest(recipe) }, errorAt };
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
    ajv.addVocabulary(['x-message']);
    compiled = ajv.compile(recipeSchema);
  }
  return compiled;
}

function schemaIssues(data: unknown, doc: Document): Issue[] {
  const validate = schemaValidator();
  if (validate(data)) return [];
  const out: Issue[] = [];
  for (const e of validate.errors ?? []) {
    const issue = translate(e, data, doc);
    if (issue) out.push(issue);
  }
  return out;
}

function translate(e: ErrorObject, data: unknown, doc: Document): Issue | undefined {
  const path = pointerToPath(e.instancePath, data);
  const params = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], locateAt: path, message: 'is required' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as object);
      return { path: [...path, key], anchor: 'key', message: unknownKeyMessage(key, allowed) };
    }
    case 'propertyNames':
    case 'oneOf':
      // The nested error says what is wrong; these only repeat that something is.
      return undefined;
    case 'discriminator':
      // A missing kind is reported by `required`, a kind of the wrong type by `type`.
      if (typeof valueAt(data, [...path, 'kind']) !== 'string') return undefined;
      return {
        path: [...path, 'kind'],
        message:
          params.error === 'tag' ? 'must be a string: npm, url or file' : 'must be one of: npm, url, file',
      };
    case 'type': {
      const value = valueAt(data, path);
      if (params.type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        const src = sourceText(doc, path) ?? String(value);
        return { path, message: `must be a string (quote it: ${JSON.stringify(src)})` };
      }
      const expected = TYPE_WORDS[String(params.type)] ?? String(params.type);
      return { path, message: `must be ${expected}${value === null ? ' (the value is empty)' : ''}` };
    }
    case 'pattern': {
      // An empty string is reported once, by minLength.
      if (e.data === '') return undefined;
      if (e.propertyName !== undefined)
        return {
          path: [...path, e.propertyName],
          anchor: 'key',
          message: String(parent['x-message'] ?? e.message),
        };
      return { path, message: String(parent['x-message'] ?? e.message) };
    }
    case 'minLength':
    case 'minItems':
      return { path, message: params.limit === 1 ? 'must not be empty' : (e.message ?? 'is too short') };
    case 'maxLength':
      return { path, message: `is too long (at most ${params.limit} characters)` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** YAML words for JSON types; `string`, `boolean` and `integer` read well as they are. */
const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', number: 'a number' };

function unknownKeyMessage(key: string, allowed: string[]): string {
  const close = allowed.filter((a) => editDistance(a, key) <= Math.max(1, Math.floor(a.length / 3)));
  if (close.length > 0) return `unknown key (did you mean '${close[0]}'?)`;
  return allowed.length > 0 ? `unknown key (allowed: ${allowed.join(', ')})` : 'unknown key';
}

/** Levenshtein distance; recipe names and keys are short. */
export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Where mapping keys are collections (`? [a]`): JSON has no such keys, and yaml would only warn. */
function collectionKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) offsets.push(pair.key.range?.[0] ?? 0);
    },
  });
  return offsets;
}

/** The path of the deepest node whose source range holds `offset` (for YAML syntax errors). */
function pathAtOffset(doc: Document, offset: number): RecipePath {
  const path: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 1000; depth++) {
    let next: unknown;
    if (isMap(node)) {
      for (const p of node.items) {
        if (!isPair(p)) continue;
        const k = p.key as Node | null;
        const v = p.value as Node | null;
        const kr = k?.range;
        const vr = v?.range;
        const start = kr?.[0] ?? vr?.[0];
        const end = vr?.[2] ?? kr?.[2];
        if (start !== undefined && end !== undefined && offset >= start && offset < end) {
          // A key that is itself a collection has no name to show: stop at its mapping.
          if (!isScalar(k)) return path;
          path.push(String(k.value));
          next = vr && offset >= vr[0] ? v : undefined;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const r = (item as Node | null)?.range;
        if (next === undefined && r && offset >= r[0] && offset < r[2]) {
          path.push(i);
          next = item;
        }
      });
    }
    if (next === undefined) break;
    node = next;
  }
  return path;
}

function sortErrors(errors: RecipeError[]): RecipeError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
