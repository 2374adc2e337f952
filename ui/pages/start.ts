// Starting work from the UI: a run of a registered script from a form, and a batch of one from a file.
// Only what the caller's token may start is offered (ui/scopes.ts); the API checks every call again.
import { api } from '../api.js';
import { notice, pageHeader } from '../components.js';
import type { Page } from '../page.js';
import { mayRun, mayStartAny } from '../scopes.js';
import { batchUpload } from './batch-upload.js';
import { runForm } from './run-form.js';

export const startPage: Page = async (root, { caller }) => {
  root.append(
    pageHeader('Start', 'Run a registered script once per key, or a batch of its runs from a file.'),
  );
  const { scripts } = mayStartAny(caller) ? await api.scripts() : { scripts: [] };
  const startable = scripts.filter((s) => mayRun(caller, s.name));
  if (startable.length === 0) {
    root.append(
      notice(
        'info',
        'Your token may not start runs',
        `Starting a run needs the scope run:<script> (or run:*); token "${caller.name}" has ${caller.scopes.join(', ')}. Ask an operator for a token that may.`,
      ),
    );
    return;
  }
  root.append(runForm(startable), batchUpload(startable));
};
