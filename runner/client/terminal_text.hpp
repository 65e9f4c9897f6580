#pragma once
// Text from steps and repositories made safe for the operator's terminal (pure). Step output
// is whatever a repository's code printed: escape sequences could move the cursor, clear the
// screen, retitle the window or hide text. So every control character but tab is shown
// visibly in caret notation (ESC as ^[, DEL as ^?, C1 controls as <U+009B>), and colour
// (SGR: ESC [ digits;... m) is dropped, or kept only when the operator asked for colour.
#include <string>
#include <string_view>

namespace stackrun::client {

// `text` with control characters made visible (tab and, when `keep_newlines`, '\n' kept) and
// SGR colour sequences dropped, or kept as they are when `keep_colour`. Any other escape
// sequence is shown, not interpreted. Bytes that are not UTF-8 become U+FFFD (log frames carry
// the step's bytes as they are, and a lone byte 0x9B is CSI to a terminal in an 8-bit locale);
// everything else passes unchanged.
std::string terminal_safe(std::string_view text, bool keep_colour = false,
                          bool keep_newlines = false);

// The same, appended to `out`: a log printer makes millions of lines safe, and a string per
// line was most of its CPU (docs/performance.md).
void append_terminal_safe(std::string& out, std::string_view text, bool keep_colour = false,
                          bool keep_newlines = false);

}  // namespace stackrun::client
