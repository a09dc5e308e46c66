// Stryker ignorer "message-text": leaves out mutants inside the wording of errors, hints and log
// lines. Tests pin the facts a message must carry (the config key, the setting name, that a value
// is hidden) with patterns; rewording it is not a behaviour change, and mutating every literal
// in ~80 error messages would double the run without testing any decision the code makes.
// Only text is ignored: a condition that chooses between two messages is still mutated unless it
// sits inside the message expression itself.
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

const TEXT = new Set(["StringLiteral", "TemplateLiteral"]);
// Object keys, variable names and functions whose text value is wording (an error's step label,
// a config rule's description and example, a problem line), never something Moodle is sent.
const MESSAGE_KEYS = new Set(["message", "hint", "fix", "detail", "reason", "rule", "example", "step"]);
const MESSAGE_VARIABLES = new Set(["step", "failure", "what", "message", "detail", "hint", "reason"]);
const MESSAGE_FUNCTIONS = new Set(["fail"]);
const MESSAGE_LISTS = new Set(["lines", "problems", "messages"]);
const LOG_METHODS = new Set(["log", "info", "warn", "error", "debug"]);

/** A string or template literal, or a `+` chain of them: message wording. */
function isText(node) {
  if (!node) return false;
  if (TEXT.has(node.type)) return true;
  return node.type === "BinaryExpression" && node.operator === "+" && (isText(node.left) || isText(node.right));
}

function calleeName(callee) {
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") return callee.property.name;
  return undefined;
}

function isMessageArgument(path) {
  const parent = path.parentPath;
  if (!parent || !(parent.isNewExpression() || parent.isCallExpression())) return false;
  if (!parent.node.arguments.includes(path.node)) return false;
  const name = calleeName(parent.node.callee) ?? "";
  if (parent.isNewExpression()) return /Error$/.test(name);
  if (MESSAGE_FUNCTIONS.has(name) && parent.node.callee.type === "Identifier") return true;
  const object = parent.node.callee.type === "MemberExpression" ? parent.node.callee.object : undefined;
  const objectName = object && object.type === "Identifier" ? object.name : object && object.type === "MemberExpression" && object.property.type === "Identifier" ? object.property.name : "";
  if (name === "push") return MESSAGE_LISTS.has(objectName);
  return LOG_METHODS.has(name) && /^(log|console|logger)$/.test(objectName);
}

function isMessageProperty(path) {
  const parent = path.parentPath;
  if (!parent || !parent.isObjectProperty() || parent.node.value !== path.node) return false;
  const key = parent.node.key;
  const name = key.type === "Identifier" ? key.name : key.type === "StringLiteral" ? key.value : "";
  return MESSAGE_KEYS.has(name);
}

function isMessageVariable(path) {
  const parent = path.parentPath;
  if (!parent) return false;
  if (parent.isVariableDeclarator() && parent.node.init === path.node) {
    return parent.node.id.type === "Identifier" && MESSAGE_VARIABLES.has(parent.node.id.name);
  }
  if (parent.isAssignmentExpression() && parent.node.right === path.node) {
    return parent.node.left.type === "Identifier" && MESSAGE_VARIABLES.has(parent.node.left.name);
  }
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "message-text", {
    shouldIgnore(path) {
      if (!isText(path.node)) return undefined;
      if (isMessageArgument(path) || isMessageProperty(path) || isMessageVariable(path)) {
        return "Message wording: tests pin the facts it must carry with patterns, not every word.";
      }
      return undefined;
    },
  }),
];
