// Help output: every option's line ends with its default, so `kiln <command> --help` answers
// "what happens if I leave it out" for every flag, not only for those commander knows a value of.
import { Help, type Option } from "commander";

/** The default shown for options declared without a value commander can print. */
function implicitDefault(option: Option): string | undefined {
  if (option.long === "--help" || option.long === "--version") return undefined;
  // A flag (or --no-x) left out is off; value options left out are unset.
  return option.required || option.optional ? "none" : "off";
}

export const helpWithDefaults = {
  optionDescription(option: Option): string {
    const text = Help.prototype.optionDescription.call(new Help(), option);
    // Described already: by commander ("(default: …)") or in the text ("the default, unless …").
    if (/\bdefault\b/i.test(text)) return text;
    const shown = implicitDefault(option);
    return shown === undefined ? text : `${text} (default: ${shown})`;
  },
};
