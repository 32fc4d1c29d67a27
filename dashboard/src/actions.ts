/**
 * Actions (reconcile, update, resync, purge) exist only when the controller has api.token set and this tab
 * was given it. Without a token configured, the panel says the dashboard is read-only; with one
 * configured but not given, it offers a form to paste it.
 */
import { ApiError, post, postLines, token, unlock } from './client.js';
import { announce, h, replaceContent, type Child } from './dom.js';
import { describeUpdate } from './format.js';
import type { Info, UpdateResult } from './types.js';

export const actionsUnlocked = (info: Info): boolean => info.actions && token.get() !== undefined;

/** A button that runs an action and reports how it went in the panel's result line. */
export function actionButton(label: string, run: () => Promise<string>, result: HTMLElement, focusKey: string): HTMLButtonElement {
  const button = h('button', { type: 'button', 'data-focus-key': focusKey }, label);
  button.addEventListener('click', () => {
    button.disabled = true;
    result.textContent = `${label}…`;
    run()
      .then((message) => (result.textContent = message))
      .catch((error: unknown) => (result.textContent = describeFailure(error)))
      .finally(() => (button.disabled = false));
  });
  return button;
}

export function describeFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'Refused: the token is not accepted (any more). Unlock again with the current token.';
  if (error instanceof ApiError) return `Refused (${error.code}): ${error.message}`;
  return `Failed: ${(error as Error).message}`;
}

/**
 * The Actions section. `buttons` builds the page's action buttons (called when unlocked);
 * `onChange` tells the page that the lock state changed (e.g. to show purge buttons).
 */
export function actionsPanel(info: Info, buttons: (result: HTMLElement) => Child[], onChange: () => void = () => undefined): HTMLElement {
  const section = h('section', { class: 'actions', 'aria-labelledby': 'actions-title' });
  const render = (): void => {
    const result = h('p', { class: 'result', role: 'status' });
    if (!info.actions) {
      replaceContent(section, h('h2', { id: 'actions-title' }, 'Actions'),
        h('p', {}, 'Read-only: actions are off because the controller has no ', h('code', {}, 'api.token'), '. Set one in its config to reconcile or purge from here.'));
      return;
    }
    if (!token.get()) {
      const input = h('input', { id: 'api-token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'api-token-help' });
      const form = h('form', { class: 'unlock' },
        h('label', { for: 'api-token' }, 'API token'),
        h('p', { id: 'api-token-help', class: 'help' }, 'The controller\'s api.token. It stays in this tab only and is sent as a header with each action.'),
        h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Unlock actions')),
        result);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        result.textContent = 'Checking the token…';
        unlock(input.value.trim())
          .then(() => {
            announce('Actions unlocked');
            render();
            onChange();
            section.querySelector<HTMLElement>('button')?.focus();
          })
          .catch((error: unknown) => {
            result.textContent = error instanceof ApiError && error.status === 401 ? 'That token is not the controller\'s api.token.' : describeFailure(error);
            input.focus();
          });
      });
      replaceContent(section, h('h2', { id: 'actions-title' }, 'Actions'), h('p', {}, 'Actions are locked. Paste the API token to unlock them.'), form);
      return;
    }
    const lock = h('button', { type: 'button', class: 'secondary' }, 'Lock actions');
    lock.addEventListener('click', () => {
      token.clear();
      announce('Actions locked');
      render();
      onChange();
    });
    replaceContent(section, h('h2', { id: 'actions-title' }, 'Actions'), h('div', { class: 'row' }, ...buttons(result), lock), result);
  };
  render();
  return section;
}

/**
 * Asks to type the app's name before its kept data is deleted (a modal dialog: focus moves into it
 * and returns when it closes). Resolves true only when confirmed.
 */
export function confirmPurge(app: string, what: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const input = h('input', { id: 'purge-confirm', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
    const confirm = h('button', { type: 'submit', class: 'danger', disabled: true }, `Delete ${app}'s data for good`);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = h('dialog', { 'aria-labelledby': 'purge-title', 'aria-describedby': 'purge-what' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'purge-title' }, `Purge the kept data of ${app}?`),
        h('div', { id: 'purge-what' },
          h('p', {}, 'This deletes, for good:'),
          h('ul', {}, ...what.map((item) => h('li', {}, item)))),
        h('label', { for: 'purge-confirm' }, `Type ${app} to confirm`),
        input,
        h('div', { class: 'row' }, confirm, cancel)));
    input.addEventListener('input', () => (confirm.disabled = input.value.trim() !== app));
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.querySelector('form')?.addEventListener('submit', (event) => {
      event.preventDefault();
      if (input.value.trim() === app) dialog.close('confirm');
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}

export const reconcileApp = async (app: string): Promise<string> => {
  await post(`/api/v1/apps/${encodeURIComponent(app)}/reconcile`);
  return `${app} was queued for a reconcile.`;
};

/**
 * Pulls the app's images and updates what moved (health-gated, rolled back when unhealthy), showing
 * each step through `onStep`; resolves with the outcome in words.
 */
export const updateApp = async (app: string, onStep: (message: string) => void): Promise<string> => {
  let outcome: string | undefined;
  let failure: ApiError | undefined;
  await postLines(`/api/v1/apps/${encodeURIComponent(app)}/update`, (line) => {
    const message = line as { type?: string; message?: string; result?: UpdateResult; error?: { code: string; message: string } };
    if (message.type === 'step' && message.message) onStep(message.message);
    else if (message.type === 'result' && message.result) outcome = describeUpdate(message.result);
    else if (message.type === 'error' && message.error) failure = new ApiError(500, message.error.code, message.error.message);
  });
  if (failure) throw failure;
  if (outcome === undefined) throw new Error('the update ended without a result');
  return outcome;
};

export const resyncAll = async (): Promise<string> => {
  await post('/api/v1/resync');
  return 'Every app was queued for a reconcile.';
};

export const purgeApp = async (app: string): Promise<string> => {
  const answer = await post<{ deleted: string[] }>(`/api/v1/apps/${encodeURIComponent(app)}/purge?confirm=${encodeURIComponent(app)}`);
  return `Deleted ${answer.deleted.join(', ') || 'nothing'}.`;
};
