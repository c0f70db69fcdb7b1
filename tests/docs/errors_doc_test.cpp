// docs/errors.md and the code agree: every message a user can get from a cofi::Error is listed
// there, and every message listed there is one the code can give.
//
// How: the test reads every source file under src/ and tools/, finds each call that makes an
// error message (a cofi::Error, or one of the helpers below that build one), and takes the
// string literals of its arguments: the fixed text of the message (literals inside a Location{}
// are left out: that is the file, line and field, which Error::format puts in front). Each entry
// of docs/errors.md is a table row whose first cell holds the message as one or more templates in
// backticks, with {placeholders} for what varies. Then:
//   - code -> doc: for every call, one entry holds all of its literals (trimmed of spaces and
//     punctuation; those without a letter are left out);
//   - doc -> code: every entry holds the literals of at least one call, and nothing else but
//     placeholders, punctuation and the words Error::format adds ("field").
// It cannot pass vacuously: it fails when it finds fewer calls than a floor, when a helper named
// below is no longer called anywhere (renamed: update the list), or when the doc has no entries.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

// Functions and lambdas whose arguments are error message text: the cofi::Error constructor, and
// the helpers that build one (side_data_impl.h's and csv_impl.h's fail, ByteReader::fail,
// atomic_file.cpp's fail, unzip.cpp's entry_error, the optimizer's `mismatch` and cmd_train's
// `differs`). A new helper of this kind must be added here, or its callers' messages go unchecked.
const std::vector<std::string> kMessageCalls = {"Error", "fail", "entry_error", "mismatch", "differs"};

// Besides calls, messages are made in three other ways, which the scan reads too:
//   - assigned to a variable named `message` (`message = ...;`, `message += ...;`), as the ratings
//     reader does for a record's problem before it throws or skips;
//   - formatted by std::snprintf with a sentence as its format (the conversions are what varies);
//   - returned as literals by the functions named here (a table of message pieces).
const std::vector<std::string> kMessageFunctions = {"number_problem"};

// Fewer calls than this means the scan broke (there are about 250).
constexpr size_t kMinimumCalls = 200;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The source with comments blanked out (strings and line numbers kept).
std::string without_comments(const std::string& s) {
  std::string out = s;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n') out[i++] = ' ';
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      end = end == std::string::npos ? s.size() : end + 2;
      for (; i < end; ++i)
        if (out[i] != '\n') out[i] = ' ';
    } else if (s[i] == 'R' && i + 1 < s.size() && s[i + 1] == '"' && (i == 0 || !ident_char(s[i - 1]))) {
      // Raw string R"delim( ... )delim".
      size_t open = s.find('(', i + 2);
      const std::string close = ")" + s.substr(i + 2, open - i - 2) + "\"";
      size_t end = s.find(close, open);
      i = end == std::string::npos ? s.size() : end + close.size();
    } else if (s[i] == '"' || s[i] == '\'') {
      const char q = s[i++];
      while (i < s.size() && s[i] != q) i += s[i] == '\\' ? 2 : 1;
      ++i;
    } else {
      ++i;
    }
  }
  return out;
}

// Decodes the body of a string literal (between the quotes).
std::string unescape(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    if (c == 'n')
      out += '\n';
    else if (c == 't')
      out += '\t';
    else if (c == 'x') {
      size_t k = i + 1;
      int v = 0;
      while (k < body.size() && std::isxdigit(static_cast<unsigned char>(body[k]))) {
        v = v * 16 +
            (std::isdigit(static_cast<unsigned char>(body[k])) ? body[k] - '0' : (body[k] | 32) - 'a' + 10);
        ++k;
      }
      out += static_cast<char>(v);
      i = k - 1;
    } else {
      out += c;
    }
  }
  return out;
}

// Trimmed of spaces and punctuation at both ends; "" when fewer than two letters are left (a
// lone "s" of a plural would match anywhere).
std::string significant(const std::string& fragment) {
  size_t b = 0, e = fragment.size();
  auto edge = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || std::ispunct(static_cast<unsigned char>(c));
  };
  while (b < e && edge(fragment[b])) ++b;
  while (e > b && edge(fragment[e - 1])) --e;
  std::string t = fragment.substr(b, e - b);
  return std::count_if(t.begin(), t.end(),
                       [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }) >= 2
             ? t
             : "";
}

struct Call {
  std::string where;                   // file:line
  std::vector<std::string> fragments;  // significant literals, in order
  std::string shape;                   // the literals joined with {} between them, for messages
};

// The string literals in s[from, to), leaving out those inside Location{...}.
void literals_in(const std::string& s, size_t from, size_t to, Call& call) {
  std::string pending;  // adjacent literals concatenate
  bool have = false;
  auto flush = [&] {
    if (!have) return;
    if (!call.shape.empty() && call.shape.back() != '}') call.shape += "{}";
    call.shape += pending;
    if (std::string t = significant(pending); !t.empty()) call.fragments.push_back(t);
    pending.clear();
    have = false;
  };
  size_t i = from;
  while (i < to) {
    if (s.compare(i, 9, "Location{") == 0 || s.compare(i, 9, "Location(") == 0) {
      int depth = 0;
      for (; i < to; ++i) {
        if (s[i] == '{' || s[i] == '(') ++depth;
        if ((s[i] == '}' || s[i] == ')') && --depth == 0) break;
        if (s[i] == '"') {  // skip a string inside
          ++i;
          while (i < to && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
        }
      }
      ++i;
      continue;
    }
    if (s[i] == '\'') {  // a character literal: not message text
      ++i;
      while (i < to && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    if (s[i] == '"') {
      size_t j = i + 1;
      while (j < to && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      pending += unescape(s.substr(i + 1, j - i - 1));
      have = true;
      i = j + 1;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(s[i]))) {
      flush();
      if (call.shape.empty() || call.shape.back() != '}') call.shape += "{}";
    }
    ++i;
  }
  flush();
}

// The index of the ')' or '}' closing the bracket at `open`, skipping strings and characters.
size_t closing(const std::string& text, size_t open) {
  size_t depth = 0;
  for (size_t end = open; end < text.size(); ++end) {
    const char c = text[end];
    if (c == '"' || c == '\'') {
      const char q = c;
      ++end;
      while (end < text.size() && text[end] != q) end += text[end] == '\\' ? 2 : 1;
      continue;
    }
    if (c == '(' || c == '{') ++depth;
    if ((c == ')' || c == '}') && --depth == 0) return end;
  }
  return text.size();
}

// The end of the statement starting at `from`: the first ';' outside brackets and strings.
size_t statement_end(const std::string& text, size_t from) {
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '{') {
      i = closing(text, i);
    } else if (c == '"' || c == '\'') {
      const char q = c;
      ++i;
      while (i < text.size() && text[i] != q) i += text[i] == '\\' ? 2 : 1;
    } else if (c == ';') {
      return i;
    }
  }
  return text.size();
}

// The fixed text of a printf format: the pieces between its conversions.
void format_pieces(const std::string& format, Call& call) {
  std::string piece;
  auto flush = [&] {
    call.shape += piece;
    if (std::string t = significant(piece); !t.empty()) call.fragments.push_back(t);
    piece.clear();
  };
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      piece += format[i];
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      piece += '%';
      ++i;
      continue;
    }
    flush();
    call.shape += "{}";
    ++i;
    while (i < format.size() && !std::isalpha(static_cast<unsigned char>(format[i]))) ++i;
  }
  flush();
}

// Every call of kMessageCalls in `text` (comments removed), with its literals.
std::vector<Call> calls_in(const std::string& text, const std::string& file,
                           std::map<std::string, size_t>& uses) {
  std::vector<Call> calls;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"' ||
        (text[i] == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(text[i - 1]))))) {
      // Words inside string and character literals are not calls.
      const char q = text[i++];
      while (i < text.size() && text[i] != q) i += text[i] == '\\' ? 2 : 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(text[i])) && text[i] != '_') continue;
    if (i > 0 && ident_char(text[i - 1])) continue;
    size_t j = i;
    while (j < text.size() && ident_char(text[j])) ++j;
    const std::string name = text.substr(i, j - i);
    size_t k = j;
    while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
    const std::string where =
        file + ":" + std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<long>(i), '\n'));
    auto add = [&](Call call) {
      if (call.fragments.empty()) return;
      call.where = where;
      ++uses[name];
      calls.push_back(std::move(call));
    };
    i = j - 1;
    if (k >= text.size()) break;
    if (name == "message" && (text.compare(k, 2, "+=") == 0 || (text[k] == '=' && text[k + 1] != '='))) {
      const size_t from = k + (text[k] == '+' ? 2 : 1);
      Call call;
      literals_in(text, from, statement_end(text, from), call);
      add(std::move(call));
      continue;
    }
    if (text[k] != '(') continue;
    const size_t end = closing(text, k);
    if (name == "snprintf") {
      // The format is the third argument: a literal right after the second top-level comma.
      size_t commas = 0, at = k + 1;
      for (; at < end && commas < 2; ++at) {
        if (text[at] == '(' || text[at] == '{')
          at = closing(text, at);
        else if (text[at] == ',')
          ++commas;
      }
      while (at < end && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
      if (at < end && text[at] == '"') {
        size_t q = at + 1;
        while (q < end && text[q] != '"') q += text[q] == '\\' ? 2 : 1;
        const std::string format = unescape(text.substr(at + 1, q - at - 1));
        if (format.find(' ') != std::string::npos) {  // a sentence, not a number's format
          Call call;
          format_pieces(format, call);
          add(std::move(call));
        }
      }
      continue;
    }
    if (std::find(kMessageFunctions.begin(), kMessageFunctions.end(), name) != kMessageFunctions.end()) {
      // A definition: each literal its body returns is a piece of a message.
      size_t body = end + 1;
      while (body < text.size() && std::isspace(static_cast<unsigned char>(text[body]))) ++body;
      if (body >= text.size() || text[body] != '{') continue;
      const size_t body_end = closing(text, body);
      for (size_t r = text.find("return", body); r < body_end; r = text.find("return", r + 6)) {
        Call call;
        literals_in(text, r + 6, statement_end(text, r + 6), call);
        call.where = file + ":" +
                     std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<long>(r), '\n'));
        if (!call.fragments.empty()) {
          ++uses[name];
          calls.push_back(std::move(call));
        }
      }
      continue;
    }
    if (std::find(kMessageCalls.begin(), kMessageCalls.end(), name) == kMessageCalls.end()) continue;
    Call call;
    literals_in(text, k + 1, end, call);
    add(std::move(call));
  }
  return calls;
}

std::vector<Call> all_calls(std::map<std::string, size_t>& uses) {
  std::vector<Call> calls;
  const fs::path root = COFI_SOURCE_DIR;
  for (const char* dir : {"src", "tools"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(root / dir))
      if (e.path().extension() == ".cpp" || e.path().extension() == ".h") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
      auto found = calls_in(without_comments(read_all(p)), fs::relative(p, root).string(), uses);
      calls.insert(calls.end(), found.begin(), found.end());
    }
  }
  return calls;
}

struct Entry {
  int line = 0;                        // in docs/errors.md
  std::vector<std::string> templates;  // the backticked messages of the row's first cell
};

// The table rows of docs/errors.md whose first cell holds backticked messages.
std::vector<Entry> doc_entries() {
  std::vector<Entry> entries;
  std::istringstream in(read_all(fs::path(COFI_SOURCE_DIR) / "docs" / "errors.md"));
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.rfind("| `", 0) != 0) continue;
    // The first cell ends at the first '|' outside code spans that is not escaped. A code span
    // opens with a run of backticks and closes with a run of the same length (Markdown), so a
    // message holding a backtick is written ``like `this` one``.
    Entry e;
    e.line = n;
    size_t tick = 0;  // length of the open span's backtick run; 0 outside spans
    std::string current;
    for (size_t i = 1; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        if (tick) current += '|';
        ++i;
        continue;
      }
      if (c == '`') {
        size_t run = 1;
        while (i + run < line.size() && line[i + run] == '`') ++run;
        if (!tick) {
          tick = run;
          current.clear();
        } else if (run == tick) {
          // Markdown strips one space at each end of a span that has them (to allow ``` `` `x` `` ```).
          if (current.size() >= 2 && current.front() == ' ' && current.back() == ' ')
            current = current.substr(1, current.size() - 2);
          e.templates.push_back(current);
          tick = 0;
        } else {
          current.append(run, '`');
        }
        i += run - 1;
        continue;
      }
      if (tick)
        current += c;
      else if (c == '|')
        break;
    }
    if (!e.templates.empty()) entries.push_back(e);
  }
  return entries;
}

// A template with each {placeholder} replaced by a separator no fragment contains.
std::string plain(const std::string& t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') {
      size_t close = t.find('}', i);
      if (close != std::string::npos) {
        out += '\x01';
        i = close;
        continue;
      }
    }
    out += t[i];
  }
  return out;
}

TEST(ErrorsDoc, EveryMessageIsListedAndEveryListedMessageExists) {
  std::map<std::string, size_t> uses;
  const std::vector<Call> calls = all_calls(uses);
  const std::vector<Entry> entries = doc_entries();
  ASSERT_GE(calls.size(), kMinimumCalls) << "the scan of src/ and tools/ found too few error messages";
  EXPECT_GE(entries.size(), 50u) << "docs/errors.md has too few entries";
  for (const std::string& name : kMessageCalls)
    EXPECT_GT(uses[name], 0u) << "no message made through '" << name << "' any more: update kMessageCalls";
  for (const std::string& name : kMessageFunctions)
    EXPECT_GT(uses[name], 0u) << "no message pieces returned by '" << name
                              << "' any more: update kMessageFunctions";
  for (const char* name : {"message", "snprintf"})
    EXPECT_GT(uses[name], 0u) << "no message made through '" << name << "' any more";

  std::vector<std::string> texts;
  for (const Entry& e : entries) {
    std::string t;
    for (const auto& s : e.templates) t += plain(s) + '\x01';
    texts.push_back(t);
  }
  std::vector<std::vector<const Call*>> claimed(entries.size());
  std::string missing;
  for (const Call& c : calls) {
    bool found = false;
    for (size_t k = 0; k < entries.size(); ++k) {
      if (std::all_of(c.fragments.begin(), c.fragments.end(),
                      [&](const std::string& f) { return texts[k].find(f) != std::string::npos; })) {
        claimed[k].push_back(&c);
        found = true;
      }
    }
    if (!found) missing += "  " + c.where + ": `" + c.shape + "`\n";
  }
  EXPECT_TRUE(missing.empty()) << "messages the code gives that docs/errors.md does not list (add a row "
                                  "with the message, {placeholders} for what varies):\n"
                               << missing;

  std::string invented;
  for (size_t k = 0; k < entries.size(); ++k) {
    if (claimed[k].empty()) {
      invented += "  docs/errors.md:" + std::to_string(entries[k].line) +
                  ": no message in the code matches `" + entries[k].templates[0] + "`\n";
      continue;
    }
    // What is left of the row's text once the matching calls' literals are taken out.
    std::string rest = texts[k];
    std::vector<std::string> fragments;
    for (const Call* c : claimed[k])
      fragments.insert(fragments.end(), c->fragments.begin(), c->fragments.end());
    fragments.push_back("field");  // Error::format's "field 'F': "
    std::sort(fragments.begin(), fragments.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& f : fragments)
      for (size_t at; (at = rest.find(f)) != std::string::npos;) rest.replace(at, f.size(), "\x01");
    std::string letters;
    for (char ch : rest)
      if (std::isalnum(static_cast<unsigned char>(ch))) letters += ch;
    if (!letters.empty())
      invented += "  docs/errors.md:" + std::to_string(entries[k].line) + ": text no message has (\"" +
                  letters + "\") in `" + entries[k].templates[0] + "`\n";
  }
  EXPECT_TRUE(invented.empty()) << "entries of docs/errors.md that the code does not give:\n" << invented;
}

// The scanner itself, on a sample: literals in order, Location{} left out, comments ignored.
TEST(ErrorsDoc, TheScannerFindsWhatItShould) {
  const std::string code = R"x(
    // throw Error("commented out");
    throw Error(Location{path, 0, "rating"}, "expected a number, found " + quote_token(t) + " here");
    detail::fail(at, "occupation", "the occupation " + quote_token(name) + " is listed " "twice");
    throw Error(std::string("a \"quoted\" ") + x);
    throw Error("checksum mismatch (stored " + x + ")");
    bool ok = IsError(x);  // not a message call
    throw Error(e.what());
    message = "expected " + std::string(n > 0 ? "" : "at least ") + "fields";
    if (message == "x") message += " (truncated)";
    std::snprintf(buf, sizeof buf, "rating %g is out of range: expected %g to %g", r, lo, hi);
    std::snprintf(buf, sizeof buf, "%02x", c);
    const char* number_problem(int e) {
      switch (e) { case 1: return "missing value"; default: return nullptr; }
    }
  )x";
  std::map<std::string, size_t> uses;
  const auto calls = calls_in(without_comments(code), "f.cpp", uses);
  ASSERT_EQ(calls.size(), 8u) << "a word in a string followed by '(' is no call";
  EXPECT_EQ(calls[0].where, "f.cpp:3");
  EXPECT_EQ(calls[0].fragments, (std::vector<std::string>{"expected a number, found", "here"}));
  EXPECT_EQ(calls[0].shape, "{}expected a number, found {} here");
  EXPECT_EQ(calls[1].fragments,
            (std::vector<std::string>{"occupation", "the occupation", "is listed twice"}));
  EXPECT_EQ(calls[2].fragments, (std::vector<std::string>{"a \"quoted"}));
  EXPECT_EQ(calls[3].fragments, (std::vector<std::string>{"checksum mismatch (stored"}));
  EXPECT_EQ(calls[4].fragments, (std::vector<std::string>{"expected", "at least", "fields"}));
  EXPECT_EQ(calls[5].fragments, (std::vector<std::string>{"truncated"}));
  EXPECT_EQ(calls[6].fragments, (std::vector<std::string>{"rating", "is out of range: expected", "to"}));
  EXPECT_EQ(calls[6].shape, "rating {} is out of range: expected {} to {}");
  EXPECT_EQ(calls[7].fragments, (std::vector<std::string>{"missing value"}));
}

}  // namespace
