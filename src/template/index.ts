export { renderTemplate, type RenderOptions, type TemplateValue, type TemplateWord } from './render.js';
export { withHelpers, type TemplateResult } from './result.js';
export { templateTag, checkTemplateOptions, type TemplateTag } from './tag.js';
export { sshTemplate, type Dollar, type DollarOptions, type DollarHost } from './ssh.js';
export { shellTemplate, type ShellDollar, type ShellDollarHost } from './shell.js';
