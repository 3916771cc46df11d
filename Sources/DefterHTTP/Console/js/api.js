// The /v1 API, as the console uses it: same-origin fetch with the session cookie.
import { t } from './i18n.js';

/** An error the API answered with: its status, code and message, and the whole body. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body || {};
  }

  /** The refusal in the user's language, then the server's own words. */
  get words() {
    const known = t(`err.${this.code}`);
    return known === `err.${this.code}` ? this.message : known;
  }
}

/** Calls to be told when the session has ended (the shell goes to sign-in). */
export const onSignedOut = new Set();

async function call(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = options.contentType || 'application/json';
  if (options.ifMatch !== undefined && options.ifMatch !== null) headers['If-Match'] = String(options.ifMatch);
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : options.contentType ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', t('err.network'), {});
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text }; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error || `http_${response.status}`, data?.message || response.statusText, data);
    if (response.status === 401 && !options.quiet) onSignedOut.forEach((f) => f(error));
    throw error;
  }
  return data;
}

export const api = {
  get: (path, options) => call('GET', path, undefined, options),
  post: (path, body, options) => call('POST', path, body ?? {}, options),
  del: (path, options) => call('DELETE', path, undefined, options),
  /** Sends a file as the raw body, with its own type (photos). */
  upload: (path, file, options = {}) => call('POST', path, file, { ...options, contentType: file.type || 'application/octet-stream' }),
};

let catalogPromise = null;
/** The catalog in force, fetched once: departments, categories, districts, replies. */
export function catalog() {
  catalogPromise ??= api.get('/v1/catalog').then((data) => {
    const categories = new Map();
    const departments = new Map();
    for (const department of data.departments) {
      departments.set(department.id, department);
      for (const category of department.categories) categories.set(category.id, { ...category, department: department.id });
    }
    return { ...data, categories, departmentsById: departments };
  }).catch((error) => { catalogPromise = null; throw error; });
  return catalogPromise;
}
