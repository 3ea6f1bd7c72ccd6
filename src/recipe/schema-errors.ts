/**
 * Runs the ajv schema and turns its errors into recipe issues whose messages say what is expected
 * (`must be a string (quote it: "3.10")`, `unknown key (did you mean 'steps'?)`) instead of ajv's.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Document } from 'yaml';
import { editDistance } from '../core/suggest.js';
import { formatPath, pointerToPath, valueAt } from './path.js';
import { recipeSchema } from './schema.js';
import type { Issue } from './semantics.js';
import { sourceText } from './yaml-position.js';

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
    ajv.addVocabulary(['x-message']);
    compiled = ajv.compile(recipeSchema);
  }
  return compiled;
}

export function schemaIssues(data: unknown, doc: Document): Issue[] {
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
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'uniqueItems':
      return {
        path: [...path, params.i as number],
        message: `duplicate (also ${formatPath([...path, params.j as number])})`,
      };
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
