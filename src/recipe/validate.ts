/**
 * validateRecipe(text, file): pure. Parses YAML keeping positions, checks the schema and the
 * cross-field rules, and returns either the defaulted Recipe with its digest or every error, each
 * with the path of the field and the line/column of the YAML node at fault.
 */
import { type Document, LineCounter, parseDocument } from 'yaml';
import { applyDefaults } from './defaults.js';
import { recipeDigest } from './digest.js';
import { formatPath, type RecipePath } from './path.js';
import { schemaIssues } from './schema-errors.js';
import { semanticIssues } from './semantics.js';
import type { Recipe } from './types.js';
import { type Anchor, collectionKeyOffsets, locate, pathAtOffset } from './yaml-position.js';

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

function sortErrors(errors: RecipeError[]): RecipeError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
