// Expressions of drivers: a hand-written lexer and precedence-climbing parser
// build a small syntax tree; compile() resolves names, folds constants and
// flattens the tree into a postfix stack program; the program runs one
// instruction at a time over a whole block of lanes (structure of arrays), so
// each instruction is a simple loop the compiler can vectorise.
//
// Reproducibility: every lane is computed by the same plain IEEE operation
// sequence whatever the block size, and constant folding runs the very same
// interpreter on one lane, so a folded value has the bits the unfolded program
// would have produced.

#include "mcrisk/model/expression.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "mcrisk/util/overlap.h"
#include "mcrisk/util/vector_clones.h"

namespace mcrisk::model {

namespace {

// ---------------------------------------------------------------------------
// Program representation
// ---------------------------------------------------------------------------

enum class Opcode : std::uint8_t {
  PushConstant,
  PushColumn,
  // unary
  Negate,
  Not,
  Abs,
  Exp,
  Log,
  Log10,
  Sqrt,
  Sin,
  Cos,
  Tan,
  Floor,
  Ceil,
  Round,
  Square,
  // binary
  Add,
  Subtract,
  Multiply,
  Divide,
  Power,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  Equal,
  NotEqual,
  And,
  Or,
  Min,
  Max,
  // ternary
  Select,
  Clamp,
};

//! Values an instruction pops from the stack (pushes always add one).
std::size_t operand_count(Opcode opcode) {
  switch (opcode) {
    case Opcode::PushConstant:
    case Opcode::PushColumn:
      return 0;
    case Opcode::Negate:
    case Opcode::Not:
    case Opcode::Abs:
    case Opcode::Exp:
    case Opcode::Log:
    case Opcode::Log10:
    case Opcode::Sqrt:
    case Opcode::Sin:
    case Opcode::Cos:
    case Opcode::Tan:
    case Opcode::Floor:
    case Opcode::Ceil:
    case Opcode::Round:
    case Opcode::Square:
      return 1;
    case Opcode::Add:
    case Opcode::Subtract:
    case Opcode::Multiply:
    case Opcode::Divide:
    case Opcode::Power:
    case Opcode::Less:
    case Opcode::LessEqual:
    case Opcode::Greater:
    case Opcode::GreaterEqual:
    case Opcode::Equal:
    case Opcode::NotEqual:
    case Opcode::And:
    case Opcode::Or:
    case Opcode::Min:
    case Opcode::Max:
      return 2;
    case Opcode::Select:
    case Opcode::Clamp:
      return 3;
  }
  return 0;
}

//! Stable names for canonical keys (changing one changes every key).
std::string_view mnemonic(Opcode opcode) {
  switch (opcode) {
    case Opcode::PushConstant: return "const";
    case Opcode::PushColumn: return "col";
    case Opcode::Negate: return "neg";
    case Opcode::Not: return "not";
    case Opcode::Abs: return "abs";
    case Opcode::Exp: return "exp";
    case Opcode::Log: return "log";
    case Opcode::Log10: return "log10";
    case Opcode::Sqrt: return "sqrt";
    case Opcode::Sin: return "sin";
    case Opcode::Cos: return "cos";
    case Opcode::Tan: return "tan";
    case Opcode::Floor: return "floor";
    case Opcode::Ceil: return "ceil";
    case Opcode::Round: return "round";
    case Opcode::Square: return "sqr";
    case Opcode::Add: return "add";
    case Opcode::Subtract: return "sub";
    case Opcode::Multiply: return "mul";
    case Opcode::Divide: return "div";
    case Opcode::Power: return "pow";
    case Opcode::Less: return "lt";
    case Opcode::LessEqual: return "le";
    case Opcode::Greater: return "gt";
    case Opcode::GreaterEqual: return "ge";
    case Opcode::Equal: return "eq";
    case Opcode::NotEqual: return "ne";
    case Opcode::And: return "and";
    case Opcode::Or: return "or";
    case Opcode::Min: return "min";
    case Opcode::Max: return "max";
    case Opcode::Select: return "select";
    case Opcode::Clamp: return "clamp";
  }
  return "?";
}

}  // namespace

//! One step of the stack program.
struct CompiledExpression::Instruction {
  Opcode opcode = Opcode::PushConstant;
  double constant = 0.0;   //!< for PushConstant
  std::size_t column = 0;  //!< for PushColumn
};

namespace {

using Instruction = CompiledExpression::Instruction;

// ---------------------------------------------------------------------------
// Interpreter
// ---------------------------------------------------------------------------

// NaN in, NaN out: a NaN from log(-1) or 0/0 must not be hidden by a max(…, 0).
// (The comparisons alone would return one operand or the other depending on
// the side the NaN is on.)
// (a < b || isnan(a)) ? a : b, written as two selects with no || so that GCC
// if-converts the loops over lanes and vectorises them: with the || it kept
// clamp() scalar, about a third of R1's expression time. The same value in
// every case (a NaN: a; b NaN: b; a == b: b, so -0 and +0 as before).
inline double nan_propagating_min(double a, double b) {
  const double smaller = a < b ? a : b;
  return std::isnan(a) ? a : smaller;
}
inline double nan_propagating_max(double a, double b) {
  const double larger = a > b ? a : b;
  return std::isnan(a) ? a : larger;
}

// Each helper is one flat loop over the lanes; __restrict tells the compiler
// that the arrays never overlap, so it needs no runtime alias check (which an
// operation in place, an array against itself, would fail, leaving the loop
// scalar): an operation in place and one into another array are separate helpers.
template <typename Operation>
void apply_unary(double* __restrict values, std::size_t n, Operation operation) {
  for (std::size_t lane = 0; lane < n; ++lane) values[lane] = operation(values[lane]);
}

template <typename Operation>
void apply_unary(const double* __restrict in, double* __restrict out, std::size_t n, Operation operation) {
  for (std::size_t lane = 0; lane < n; ++lane) out[lane] = operation(in[lane]);
}

template <typename Operation>
void apply_binary(double* __restrict left, const double* __restrict right, std::size_t n, Operation operation) {
  for (std::size_t lane = 0; lane < n; ++lane) left[lane] = operation(left[lane], right[lane]);
}

template <typename Operation>
void apply_binary(const double* __restrict left, const double* __restrict right, double* __restrict out, std::size_t n,
                  Operation operation) {
  for (std::size_t lane = 0; lane < n; ++lane) out[lane] = operation(left[lane], right[lane]);
}

// out[lane] = operation(in[lane]), in place when in is out. Operations with constant operands come
// here too, the constants bound into the operation.
template <typename Operation>
[[gnu::always_inline]] inline void map_lanes(const double* in, double* out, std::size_t n, Operation operation) {
  if (in == out) {
    apply_unary(out, n, operation);
  } else {
    apply_unary(in, out, n, operation);
  }
}

template <typename Operation>
void apply_ternary(double* __restrict first, const double* __restrict second, const double* __restrict third,
                   std::size_t n, Operation operation) {
  for (std::size_t lane = 0; lane < n; ++lane) first[lane] = operation(first[lane], second[lane], third[lane]);
}

// A value on the interpreter's stack: a constant, or lanes (an input column, read
// in place, or the entry's own slot: scratch, or for the bottom entry usually the
// output; see run_program). Constants and columns are not
// copied into slots (a fill or a copy per push was about a third of R1's
// expression time): an operation reads them where they are and writes its lanes
// into the slot of its result. Each lane gets the same operations on the same
// values as before, so the same bits; a constant operand's operation runs once,
// on the constant (the same IEEE operation, or the same libm call, as per lane).
// The helpers below are lambdas always inlined: the loops must be compiled in
// run_program's vector clones (a lambda left out of line runs as the baseline's).
struct StackEntry {
  const double* lanes;  // null: a constant
  double constant;
};

//! Runs program over n lanes into out; stack slot k > 0 is scratch[k*n, (k+1)*n), slot 0 is out (or scratch's
//! first n if the program reads a column overlapping out); the program's stack is at most max_depth deep.
MCRISK_VECTOR_CLONES
void run_program(std::span<const Instruction> program, std::span<const double* const> columns, std::size_t n,
                 double* out, double* scratch, std::size_t max_depth) {
  // Entries are written before they are read (a push, then operations on what was pushed): not zeroed,
  // but for the first, the result of an empty program.
  std::array<StackEntry, 32> small_stack;
  std::vector<StackEntry> large_stack;  // an expression nested deeper than any a model has needed
  StackEntry* stack = small_stack.data();
  if (max_depth > small_stack.size()) {
    large_stack.resize(max_depth);
    stack = large_stack.data();
  }
  stack[0] = StackEntry{nullptr, 0.0};  // what an empty program leaves: 0
  std::size_t depth = 0;
  // The bottom slot, where the result ends, is `out` itself (no final copy), unless the program reads a
  // column that overlaps it (an adjustment run in place on its column: writing the bottom slot early would
  // change what later pushes of that column read) or out overlaps the scratch slots; then scratch, as the
  // others.
  double* bottom = util::overlaps<double>(out, n, scratch, max_depth * n) ? scratch : out;
  for (const Instruction& instruction : program) {
    if (instruction.opcode == Opcode::PushColumn && util::overlaps<double>(out, n, columns[instruction.column], n)) bottom = scratch;
  }
  const auto slot = [scratch, n, bottom](std::size_t index) { return index == 0 ? bottom : scratch + index * n; };
  // The entry at `index` as lanes in its own slot (a constant filled, a column copied), for the ternaries.
  const auto in_slot = [&](std::size_t index) __attribute__((always_inline)) {
    double* lanes = slot(index);
    StackEntry& entry = stack[index];
    if (entry.lanes == nullptr) {
      std::fill_n(lanes, n, entry.constant);
    } else if (entry.lanes != lanes) {
      std::copy_n(entry.lanes, n, lanes);
    }
    entry.lanes = lanes;
    return lanes;
  };
  const auto unary = [&](auto operation) __attribute__((always_inline)) {
    StackEntry& top = stack[depth - 1];
    double* result = slot(depth - 1);
    if (top.lanes == nullptr) {
      top.constant = operation(top.constant);
      return;
    }
    map_lanes(top.lanes, result, n, operation);
    top.lanes = result;
  };
  const auto binary = [&](auto operation) __attribute__((always_inline)) {
    StackEntry& left = stack[depth - 2];
    const StackEntry& right = stack[depth - 1];
    double* result = slot(depth - 2);  // left's own slot; right's lanes are never there
    const double a = left.constant, b = right.constant;
    if (left.lanes == nullptr && right.lanes == nullptr) {
      left.constant = operation(a, b);
    } else if (left.lanes == nullptr) {
      map_lanes(right.lanes, result, n, [operation, a](double y) { return operation(a, y); });
    } else if (right.lanes == nullptr) {
      map_lanes(left.lanes, result, n, [operation, b](double x) { return operation(x, b); });
    } else if (left.lanes == result) {
      apply_binary(result, right.lanes, n, operation);
    } else {
      apply_binary(left.lanes, right.lanes, result, n, operation);
    }
    if (left.lanes != nullptr || right.lanes != nullptr) left.lanes = result;
    depth -= 1;
  };
  const auto ternary = [&](auto operation) __attribute__((always_inline)) {
    StackEntry& first = stack[depth - 3];
    const StackEntry &second = stack[depth - 2], &third = stack[depth - 1];
    if (second.lanes == nullptr && third.lanes == nullptr) {  // clamp(x, lo, hi), select(c, a, b) with constant bounds or branches
      if (first.lanes == nullptr) {
        first.constant = operation(first.constant, second.constant, third.constant);
      } else {
        double* result = slot(depth - 3);
        const double b = second.constant, c = third.constant;
        map_lanes(first.lanes, result, n, [operation, b, c](double a) { return operation(a, b, c); });
        first.lanes = result;
      }
    } else {
      apply_ternary(in_slot(depth - 3), in_slot(depth - 2), in_slot(depth - 1), n, operation);
    }
    depth -= 2;
  };

  for (const Instruction& instruction : program) {
    switch (instruction.opcode) {
      case Opcode::PushConstant:
        stack[depth++] = StackEntry{nullptr, instruction.constant};
        break;
      case Opcode::PushColumn:
        stack[depth++] = StackEntry{columns[instruction.column], 0.0};
        break;
      case Opcode::Negate: unary([](double x) { return -x; }); break;
      case Opcode::Not: unary([](double x) { return x == 0.0 ? 1.0 : 0.0; }); break;
      case Opcode::Abs: unary([](double x) { return std::fabs(x); }); break;
      case Opcode::Exp: unary([](double x) { return std::exp(x); }); break;
      case Opcode::Log: unary([](double x) { return std::log(x); }); break;
      case Opcode::Log10: unary([](double x) { return std::log10(x); }); break;
      case Opcode::Sqrt: unary([](double x) { return std::sqrt(x); }); break;
      case Opcode::Sin: unary([](double x) { return std::sin(x); }); break;
      case Opcode::Cos: unary([](double x) { return std::cos(x); }); break;
      case Opcode::Tan: unary([](double x) { return std::tan(x); }); break;
      case Opcode::Floor: unary([](double x) { return std::floor(x); }); break;
      case Opcode::Ceil: unary([](double x) { return std::ceil(x); }); break;
      case Opcode::Round: unary([](double x) { return std::round(x); }); break;
      case Opcode::Square: unary([](double x) { return x * x; }); break;
      case Opcode::Add: binary([](double a, double b) { return a + b; }); break;
      case Opcode::Subtract: binary([](double a, double b) { return a - b; }); break;
      case Opcode::Multiply: binary([](double a, double b) { return a * b; }); break;
      case Opcode::Divide: binary([](double a, double b) { return a / b; }); break;
      case Opcode::Power: binary([](double a, double b) { return std::pow(a, b); }); break;
      case Opcode::Less: binary([](double a, double b) { return a < b ? 1.0 : 0.0; }); break;
      case Opcode::LessEqual: binary([](double a, double b) { return a <= b ? 1.0 : 0.0; }); break;
      case Opcode::Greater: binary([](double a, double b) { return a > b ? 1.0 : 0.0; }); break;
      case Opcode::GreaterEqual: binary([](double a, double b) { return a >= b ? 1.0 : 0.0; }); break;
      case Opcode::Equal: binary([](double a, double b) { return a == b ? 1.0 : 0.0; }); break;
      case Opcode::NotEqual: binary([](double a, double b) { return a != b ? 1.0 : 0.0; }); break;
      case Opcode::And: binary([](double a, double b) { return (a != 0.0 && b != 0.0) ? 1.0 : 0.0; }); break;
      case Opcode::Or: binary([](double a, double b) { return (a != 0.0 || b != 0.0) ? 1.0 : 0.0; }); break;
      case Opcode::Min: binary([](double a, double b) { return nan_propagating_min(a, b); }); break;
      case Opcode::Max: binary([](double a, double b) { return nan_propagating_max(a, b); }); break;
      case Opcode::Select:
        ternary([](double condition, double when_true, double when_false) {
          return condition != 0.0 ? when_true : when_false;
        });
        break;
      case Opcode::Clamp:
        ternary([](double x, double lo, double hi) { return nan_propagating_min(nan_propagating_max(x, lo), hi); });
        break;
    }
  }
  if (stack[0].lanes == nullptr) {
    std::fill_n(out, n, stack[0].constant);
  } else if (stack[0].lanes != out) {
    std::copy_n(stack[0].lanes, n, out);
  }
}

//! Deepest stack the program reaches.
std::size_t stack_depth_needed(std::span<const Instruction> program) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  for (const Instruction& instruction : program) {
    depth = depth + 1 - operand_count(instruction.opcode);
    deepest = std::max(deepest, depth);
  }
  return deepest;
}

std::vector<std::size_t> columns_read(std::span<const Instruction> program) {
  std::vector<std::size_t> columns;
  for (const Instruction& instruction : program) {
    if (instruction.opcode == Opcode::PushColumn) columns.push_back(instruction.column);
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return columns;
}

//! Constants are written as hex floats, which keep every bit: keys match only if the constants do.
std::string canonical_text(std::span<const Instruction> program) {
  std::string key;
  for (const Instruction& instruction : program) {
    if (!key.empty()) key += ' ';
    key += mnemonic(instruction.opcode);
    if (instruction.opcode == Opcode::PushConstant) {
      char buffer[64];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, instruction.constant, std::chars_format::hex);
      key += ':';
      key.append(buffer, result.ptr);
    } else if (instruction.opcode == Opcode::PushColumn) {
      key += ':';
      key += std::to_string(instruction.column);
    }
  }
  return key;
}

bool is_single_constant(std::span<const Instruction> code) {
  return code.size() == 1 && code.front().opcode == Opcode::PushConstant;
}

// ---------------------------------------------------------------------------
// Functions and built-in names
// ---------------------------------------------------------------------------

constexpr std::size_t kAnyNumber = std::numeric_limits<std::size_t>::max();

struct FunctionSpec {
  std::string_view name;
  std::size_t min_arguments;
  std::size_t max_arguments;  // kAnyNumber for min and max
  std::string_view parameters;
  Opcode opcode;
};

// Alphabetical, so the "known functions" list in errors reads naturally.
constexpr FunctionSpec kFunctions[] = {
    {"abs", 1, 1, "(x)", Opcode::Abs},
    {"ceil", 1, 1, "(x)", Opcode::Ceil},
    {"clamp", 3, 3, "(x, lo, hi)", Opcode::Clamp},
    {"cos", 1, 1, "(x)", Opcode::Cos},
    {"exp", 1, 1, "(x)", Opcode::Exp},
    {"floor", 1, 1, "(x)", Opcode::Floor},
    {"if", 3, 3, "(condition, then, else)", Opcode::Select},
    {"log", 1, 1, "(x)", Opcode::Log},
    {"log10", 1, 1, "(x)", Opcode::Log10},
    {"max", 2, kAnyNumber, "(a, b, ...)", Opcode::Max},
    {"min", 2, kAnyNumber, "(a, b, ...)", Opcode::Min},
    {"pow", 2, 2, "(base, exponent)", Opcode::Power},
    {"round", 1, 1, "(x)", Opcode::Round},
    {"sin", 1, 1, "(x)", Opcode::Sin},
    {"sqrt", 1, 1, "(x)", Opcode::Sqrt},
    {"tan", 1, 1, "(x)", Opcode::Tan},
};

const FunctionSpec* find_function(std::string_view name) {
  for (const FunctionSpec& function : kFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

std::string known_function_list() {
  std::string list;
  for (const FunctionSpec& function : kFunctions) {
    if (!list.empty()) list += ", ";
    list += function.name;
  }
  return list;
}

constexpr std::string_view kPiName = "pi";

// Bounds recursion in the parser and in every walk of the tree, so a hostile
// or generated config cannot overflow the stack.
constexpr std::size_t kMaxNesting = 1000;

//! 1-based column for messages (offsets stay 0-based in the exception).
std::string column_of(std::size_t offset) { return "column " + std::to_string(offset + 1); }

}  // namespace

// ---------------------------------------------------------------------------
// Syntax tree
// ---------------------------------------------------------------------------

//! A node of the syntax tree: a number, a name (maybe subscripted) or an operation.
struct Expression::Node {
  enum class Kind { Number, Symbol, Operation } kind = Kind::Number;
  std::size_t offset = 0;  //!< where the node's text starts (operator for operations)
  std::size_t height = 1;  //!< 1 for leaves; bounds recursion in later walks
  double number = 0.0;     //!< Number
  std::string name;        //!< Symbol
  std::optional<std::string> label;                        //!< Symbol: r[education], g['2011/12']
  std::shared_ptr<const Node> subscript;                   //!< Symbol: g[t-1]
  std::size_t subscript_offset = 0;                        //!< Symbol: first character inside [ ]
  Opcode opcode = Opcode::PushConstant;                    //!< Operation
  std::vector<std::shared_ptr<const Node>> operands;       //!< Operation, in written order
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

NodePtr make_number(double value, std::size_t offset) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::Number;
  node->number = value;
  node->offset = offset;
  return node;
}

NodePtr make_operation(Opcode opcode, std::size_t offset, std::vector<NodePtr> operands) {
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::Operation;
  node->opcode = opcode;
  node->offset = offset;
  for (const NodePtr& operand : operands) node->height = std::max(node->height, operand->height + 1);
  // Long chains such as a+b+c+... are built by a loop, not by recursion, so
  // the parser's own guard does not see them; the tree height does.
  if (node->height > kMaxNesting) {
    throw ExpressionError("expression is nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)",
                          offset);
  }
  node->operands = std::move(operands);
  return node;
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

enum class TokenKind { Number, Identifier, String, Punctuation, End };

struct Token {
  TokenKind kind = TokenKind::End;
  std::size_t offset = 0;  //!< first character
  std::size_t end = 0;     //!< one past the last character
  std::string_view text;   //!< as written (strings include their quotes)
  double number = 0.0;     //!< when Number
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_identifier_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_identifier_char(char c) { return is_identifier_start(c) || is_digit(c); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string describe(const Token& token) {
  if (token.kind == TokenKind::End) return "end of text";
  if (token.kind == TokenKind::String) return "the string " + std::string(token.text);
  return "'" + std::string(token.text) + "'";
}

//! Stateless: lex_at(p) is the token starting at or after p, which gives the parser free lookahead.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token lex_at(std::size_t position) const {
    while (position < text_.size() && is_space(text_[position])) ++position;
    if (position >= text_.size()) return Token{TokenKind::End, text_.size(), text_.size(), {}, 0.0};

    const char c = text_[position];
    if (is_digit(c) || (c == '.' && is_digit(peek(position + 1)))) return lex_number(position);
    if (is_identifier_start(c)) {
      std::size_t end = position + 1;
      while (end < text_.size() && is_identifier_char(text_[end])) ++end;
      return token(TokenKind::Identifier, position, end);
    }
    if (c == '\'' || c == '"') {
      const std::size_t closing = text_.find(c, position + 1);
      if (closing == std::string_view::npos) {
        throw ExpressionError(std::string("unterminated string: expected a closing ") + c + " to match the one at " +
                                  column_of(position),
                              position);
      }
      return token(TokenKind::String, position, closing + 1);
    }

    const std::string_view two = text_.substr(position, 2);
    if (two == "<=" || two == ">=" || two == "==" || two == "!=" || two == "&&" || two == "||") {
      return token(TokenKind::Punctuation, position, position + 2);
    }
    if (two == "**") throw ExpressionError("'**' is not an operator; write '^' for powers, as in x^2", position);

    switch (c) {
      case '+': case '-': case '*': case '/': case '^': case '(': case ')':
      case '[': case ']': case ',': case '?': case ':': case '<': case '>': case '!':
        return token(TokenKind::Punctuation, position, position + 1);
      case '=':
        throw ExpressionError("unexpected '='; write '==' to compare", position);
      case '&':
        throw ExpressionError("unexpected '&'; write '&&' for logical and", position);
      case '|':
        throw ExpressionError("unexpected '|'; write '||' for logical or", position);
      default:
        break;
    }
    throw ExpressionError("unexpected character " + describe_character(c), position);
  }

 private:
  char peek(std::size_t position) const { return position < text_.size() ? text_[position] : '\0'; }

  Token token(TokenKind kind, std::size_t begin, std::size_t end) const {
    return Token{kind, begin, end, text_.substr(begin, end - begin), 0.0};
  }

  // digits [. digits] [(e|E) [+|-] digits], or . digits [...]; at least one mantissa digit.
  Token lex_number(std::size_t begin) const {
    std::size_t end = begin;
    while (is_digit(peek(end))) ++end;
    if (peek(end) == '.') {
      ++end;
      while (is_digit(peek(end))) ++end;
    }
    if (peek(end) == 'e' || peek(end) == 'E') {
      std::size_t exponent = end + 1;
      if (peek(exponent) == '+' || peek(exponent) == '-') ++exponent;
      if (!is_digit(peek(exponent))) {
        throw ExpressionError("expected digits in the exponent of '" +
                                  std::string(text_.substr(begin, exponent - begin)) + "'",
                              exponent);
      }
      end = exponent;
      while (is_digit(peek(end))) ++end;
    }
    Token result = token(TokenKind::Number, begin, end);
    const auto [ptr, error] = std::from_chars(text_.data() + begin, text_.data() + end, result.number);
    if (error != std::errc() || ptr != text_.data() + end) {
      throw ExpressionError("number '" + std::string(result.text) + "' is out of range for a double", begin);
    }
    return result;
  }

  static std::string describe_character(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("(byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF] + ")";
  }

  std::string_view text_;
};

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

// Binding strength of binary operators, weakest first. Unary operators and
// '^' are handled by their own functions above Multiplicative.
enum class Precedence { None, Ternary, Or, And, Equality, Relational, Additive, Multiplicative };

struct BinaryOperator {
  Precedence precedence = Precedence::None;
  Opcode opcode = Opcode::Add;
};

BinaryOperator binary_operator(const Token& token) {
  if (token.kind != TokenKind::Punctuation) return {};
  const std::string_view op = token.text;
  if (op == "?") return {Precedence::Ternary, Opcode::Select};
  if (op == "||") return {Precedence::Or, Opcode::Or};
  if (op == "&&") return {Precedence::And, Opcode::And};
  if (op == "==") return {Precedence::Equality, Opcode::Equal};
  if (op == "!=") return {Precedence::Equality, Opcode::NotEqual};
  if (op == "<") return {Precedence::Relational, Opcode::Less};
  if (op == "<=") return {Precedence::Relational, Opcode::LessEqual};
  if (op == ">") return {Precedence::Relational, Opcode::Greater};
  if (op == ">=") return {Precedence::Relational, Opcode::GreaterEqual};
  if (op == "+") return {Precedence::Additive, Opcode::Add};
  if (op == "-") return {Precedence::Additive, Opcode::Subtract};
  if (op == "*") return {Precedence::Multiplicative, Opcode::Multiply};
  if (op == "/") return {Precedence::Multiplicative, Opcode::Divide};
  return {};
}

Precedence next_tighter(Precedence precedence) { return static_cast<Precedence>(static_cast<int>(precedence) + 1); }

bool is_comparison(Precedence precedence) {
  return precedence == Precedence::Equality || precedence == Precedence::Relational;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text), current_(lexer_.lex_at(0)) {}

  NodePtr parse_all() {
    if (current_.kind == TokenKind::End) {
      throw ExpressionError("expected an expression, found end of text", current_.offset);
    }
    NodePtr root = parse_expression(Precedence::Ternary);
    if (current_.kind != TokenKind::End) {
      if (is(")")) throw ExpressionError("unexpected ')' with no matching '('", current_.offset);
      throw ExpressionError("expected an operator or end of text, found " + describe(current_), current_.offset);
    }
    return root;
  }

 private:
  //! Counts recursion depth for the lifetime of one parse function call.
  class NestingGuard {
   public:
    NestingGuard(std::size_t& depth, std::size_t offset) : depth_(depth) {
      if (++depth_ > kMaxNesting) {
        --depth_;
        throw ExpressionError("expression is nested too deeply (more than " + std::to_string(kMaxNesting) +
                                  " levels)",
                              offset);
      }
    }
    ~NestingGuard() { --depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    std::size_t& depth_;
  };

  bool is(std::string_view punctuation) const {
    return current_.kind == TokenKind::Punctuation && current_.text == punctuation;
  }

  Token advance() {
    Token consumed = current_;
    current_ = lexer_.lex_at(consumed.end);
    return consumed;
  }

  // Precedence climbing over the binary levels; operands come from parse_unary().
  NodePtr parse_expression(Precedence weakest) {
    NestingGuard guard(nesting_, current_.offset);
    NodePtr left = parse_unary();
    for (;;) {
      const BinaryOperator op = binary_operator(current_);
      if (op.precedence == Precedence::None || op.precedence < weakest) return left;
      const Token operator_token = advance();

      if (op.precedence == Precedence::Ternary) {
        NodePtr when_true = parse_expression(Precedence::Ternary);
        if (!is(":")) {
          throw ExpressionError("expected ':' to complete '?' at " + column_of(operator_token.offset) + ", found " +
                                    describe(current_),
                                current_.offset);
        }
        advance();
        // Right associative: a ? b : c ? d : e is a ? b : (c ? d : e).
        NodePtr when_false = parse_expression(Precedence::Ternary);
        left = make_operation(Opcode::Select, operator_token.offset,
                              {std::move(left), std::move(when_true), std::move(when_false)});
        continue;
      }

      // Left associative: the right operand only takes tighter operators.
      NodePtr right = parse_expression(next_tighter(op.precedence));
      left = make_operation(op.opcode, operator_token.offset, {std::move(left), std::move(right)});

      // 0 < x < 1 would silently mean (0 < x) < 1, which is always true.
      if (is_comparison(op.precedence) && binary_operator(current_).precedence == op.precedence) {
        throw ExpressionError("comparisons cannot be chained; write (a " + std::string(operator_token.text) +
                                  " b) && (b " + std::string(current_.text) + " c)",
                              current_.offset);
      }
    }
  }

  // Unary - + ! bind looser than ^, so -x^2 is -(x^2).
  NodePtr parse_unary() {
    NestingGuard guard(nesting_, current_.offset);
    if (is("-") || is("!")) {
      const Token operator_token = advance();
      NodePtr operand = parse_unary();
      return make_operation(operator_token.text == "-" ? Opcode::Negate : Opcode::Not, operator_token.offset,
                            {std::move(operand)});
    }
    if (is("+")) {
      advance();
      return parse_unary();
    }
    return parse_power();
  }

  // '^' is right associative and its exponent may carry a sign: 2^3^2 = 2^9, 2^-1 = 0.5.
  NodePtr parse_power() {
    NodePtr base = parse_primary();
    if (!is("^")) return base;
    const Token operator_token = advance();
    NodePtr exponent = parse_unary();
    return make_operation(Opcode::Power, operator_token.offset, {std::move(base), std::move(exponent)});
  }

  NodePtr parse_primary() {
    switch (current_.kind) {
      case TokenKind::Number: {
        const Token number = advance();
        return make_number(number.number, number.offset);
      }
      case TokenKind::Identifier:
        return parse_name();
      case TokenKind::String:
        throw ExpressionError("a quoted string is only allowed as a subscript, as in g['2011/12']", current_.offset);
      case TokenKind::Punctuation:
        if (is("(")) return parse_parenthesised();
        break;
      case TokenKind::End:
        break;
    }
    throw ExpressionError("expected a number, a name or '(', found " + describe(current_), current_.offset);
  }

  NodePtr parse_parenthesised() {
    const Token open = advance();
    NodePtr inner = parse_expression(Precedence::Ternary);
    if (!is(")")) {
      throw ExpressionError("expected ')' to close '(' at " + column_of(open.offset) + ", found " + describe(current_),
                            current_.offset);
    }
    advance();
    return inner;
  }

  NodePtr parse_name() {
    const Token name = advance();
    if (is("(")) return parse_call(name);
    if (find_function(name.text) != nullptr) {
      throw ExpressionError("'" + std::string(name.text) + "' is a function; expected '(' after it", name.offset);
    }
    if (name.text == kPiName) {
      if (is("[")) throw ExpressionError("'pi' is a built-in constant and takes no subscript", current_.offset);
      return make_number(std::numbers::pi, name.offset);
    }

    auto symbol = std::make_shared<Node>();
    symbol->kind = Node::Kind::Symbol;
    symbol->name = std::string(name.text);
    symbol->offset = name.offset;
    if (is("[")) parse_subscript(*symbol);
    return symbol;
  }

  void parse_subscript(Node& symbol) {
    const Token open = advance();
    symbol.subscript_offset = current_.offset;
    if (current_.kind == TokenKind::String) {
      const Token quoted = advance();
      symbol.label = std::string(quoted.text.substr(1, quoted.text.size() - 2));
    } else if (current_.kind == TokenKind::Identifier && is_closing_bracket(lexer_.lex_at(current_.end))) {
      // A bare name alone is a label (r[education]); the resolver decides what it means.
      symbol.label = std::string(advance().text);
    } else if (is("]")) {
      throw ExpressionError("expected a subscript (a label, a quoted label or a constant expression), found ']'",
                            current_.offset);
    } else {
      symbol.subscript = parse_expression(Precedence::Ternary);
      symbol.height = symbol.subscript->height + 1;
    }
    if (!is("]")) {
      throw ExpressionError("expected ']' to close '[' at " + column_of(open.offset) + ", found " + describe(current_),
                            current_.offset);
    }
    advance();
    if (is("[")) throw ExpressionError("a name takes only one subscript", current_.offset);
  }

  static bool is_closing_bracket(const Token& token) {
    return token.kind == TokenKind::Punctuation && token.text == "]";
  }

  NodePtr parse_call(const Token& name) {
    const FunctionSpec* function = find_function(name.text);
    if (function == nullptr) {
      if (name.text == kPiName) throw ExpressionError("'pi' is a constant, not a function", name.offset);
      throw ExpressionError("unknown function '" + std::string(name.text) + "'; known functions: " +
                                known_function_list(),
                            name.offset);
    }
    const Token open = advance();
    std::vector<NodePtr> arguments;
    if (!is(")")) {
      for (;;) {
        arguments.push_back(parse_expression(Precedence::Ternary));
        if (is(",")) {
          advance();
          continue;
        }
        if (is(")")) break;
        throw ExpressionError("expected ',' or ')' in the arguments of '" + std::string(name.text) + "' opened at " +
                                  column_of(open.offset) + ", found " + describe(current_),
                              current_.offset);
      }
    }
    advance();  // ')'
    check_argument_count(*function, arguments.size(), name.offset);

    if (function->max_arguments == kAnyNumber) {
      // min(a, b, c) is min(min(a, b), c): a fixed left-to-right order keeps results reproducible.
      NodePtr folded = std::move(arguments[0]);
      for (std::size_t i = 1; i < arguments.size(); ++i) {
        folded = make_operation(function->opcode, name.offset, {std::move(folded), std::move(arguments[i])});
      }
      return folded;
    }
    return make_operation(function->opcode, name.offset, std::move(arguments));
  }

  static void check_argument_count(const FunctionSpec& function, std::size_t count, std::size_t offset) {
    if (count >= function.min_arguments && count <= function.max_arguments) return;
    // Appended piece by piece: GCC 12 at -O3 gives a false -Wrestrict on "literal" + std::string.
    std::string message(function.name);
    message += function.max_arguments == kAnyNumber ? " takes at least " : " takes ";
    message += std::to_string(function.min_arguments);
    message += function.min_arguments == 1 && function.max_arguments == 1 ? " argument " : " arguments ";
    message += function.parameters;
    message += ", got ";
    message += std::to_string(count);
    throw ExpressionError(std::move(message), offset);
  }

  Lexer lexer_;
  Token current_;
  std::size_t nesting_ = 0;
};

// ---------------------------------------------------------------------------
// Compiler: tree -> postfix program, folding constants on the way
// ---------------------------------------------------------------------------

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const SymbolResolver& resolve) : resolve_(resolve) {}

  std::vector<Instruction> build(const Node& root) {
    emit(root);
    return std::move(program_);
  }

 private:
  void emit(const Node& node) {
    switch (node.kind) {
      case Node::Kind::Number:
        program_.push_back(Instruction{Opcode::PushConstant, node.number, 0});
        return;
      case Node::Kind::Symbol:
        emit_symbol(node);
        return;
      case Node::Kind::Operation:
        emit_operation(node);
        return;
    }
  }

  void emit_symbol(const Node& node) {
    SymbolReference reference{node.name, node.label, std::nullopt, node.offset};
    if (node.subscript) {
      const std::vector<Instruction> index = ProgramBuilder(resolve_).build(*node.subscript);
      if (!is_single_constant(index)) {
        throw ExpressionError("the subscript of '" + node.name +
                                  "' is not constant; write a label as in g[education], a quoted label as in "
                                  "g['2011/12'], or an expression of constants as in g[t-1]",
                              node.subscript_offset);
      }
      reference.index = index.front().constant;
    }
    if (!resolve_) throw ExpressionError("unknown name '" + node.name + "' (no symbols are defined)", node.offset);
    const ResolvedSymbol resolved = resolve_(reference);
    if (resolved.kind == ResolvedSymbol::Kind::Constant) {
      program_.push_back(Instruction{Opcode::PushConstant, resolved.value, 0});
    } else {
      program_.push_back(Instruction{Opcode::PushColumn, 0.0, resolved.column});
    }
  }

  void emit_operation(const Node& node) {
    // if/?: with a constant condition compiles only the chosen branch: the other
    // is never needed (branches have no side effects), so its names are not even
    // resolved, and if(t > 1, g[t-1], 0) is valid at t = 1.
    if (node.opcode == Opcode::Select) {
      const std::size_t condition_start = program_.size();
      emit(*node.operands[0]);
      if (program_.size() == condition_start + 1 && program_.back().opcode == Opcode::PushConstant) {
        const bool take_true = program_.back().constant != 0.0;  // same test as the interpreter
        program_.pop_back();
        emit(*node.operands[take_true ? 1 : 2]);
        return;
      }
      program_.resize(condition_start);
    }
    // starts[i] is where operand i's code begins; operand i spans [starts[i], starts[i+1]).
    std::vector<std::size_t> starts;
    starts.reserve(node.operands.size() + 1);
    for (const NodePtr& operand : node.operands) {
      starts.push_back(program_.size());
      emit(*operand);
    }
    starts.push_back(program_.size());
    const auto operand_code = [&](std::size_t i) {
      return std::span<const Instruction>(program_).subspan(starts[i], starts[i + 1] - starts[i]);
    };

    // if/?: with a constant condition keeps only the chosen branch; the other
    // is not needed (branches have no side effects) and its columns drop out.
    if (node.opcode == Opcode::Select && is_single_constant(operand_code(0))) {
      const bool take_true = program_[starts[0]].constant != 0.0;  // same test as the interpreter
      const std::size_t keep = take_true ? 1 : 2;
      std::vector<Instruction> branch(program_.begin() + static_cast<std::ptrdiff_t>(starts[keep]),
                                      program_.begin() + static_cast<std::ptrdiff_t>(starts[keep + 1]));
      program_.resize(starts[0]);
      program_.insert(program_.end(), branch.begin(), branch.end());
      return;
    }

    Opcode opcode = node.opcode;
    std::size_t operand_total = node.operands.size();
    // x^2 as x*x: one correctly rounded multiply (pow may be off by an ulp),
    // far cheaper, and what a C++ compiler makes of std::pow(x, 2.0). Done
    // before folding so constant and column operands get the same bits.
    if (opcode == Opcode::Power && is_single_constant(operand_code(1)) && program_[starts[1]].constant == 2.0) {
      program_.resize(starts[1]);
      opcode = Opcode::Square;
      operand_total = 1;
    }

    bool all_constant = true;
    for (std::size_t i = 0; i < operand_total; ++i) {
      all_constant = all_constant && is_single_constant(operand_code(i));
    }
    program_.push_back(Instruction{opcode, 0.0, 0});
    if (!all_constant) return;

    // Fold by running the same interpreter on one lane, so folding never changes a bit.
    const std::span<const Instruction> tail = std::span<const Instruction>(program_).subspan(starts[0]);
    double stack[3] = {};  // zeroed: the analyser cannot see that an operation always has its operands pushed first
    double value = 0.0;
    run_program(tail, {}, 1, &value, stack, std::size(stack));
    program_.resize(starts[0]);
    program_.push_back(Instruction{Opcode::PushConstant, value, 0});
  }

  const SymbolResolver& resolve_;
  std::vector<Instruction> program_;
};

//! The subscript's value when it uses no names (g[2], g[1+1]); nullopt otherwise.
std::optional<double> literal_index(const Node& subscript) {
  const SymbolResolver no_symbols;
  try {
    const std::vector<Instruction> code = ProgramBuilder(no_symbols).build(subscript);
    if (is_single_constant(code)) return code.front().constant;
  } catch (const ExpressionError&) {
    // Uses a name: its value is only known at compile().
  }
  return std::nullopt;
}

void collect_references(const Node& node, std::vector<SymbolReference>& references) {
  switch (node.kind) {
    case Node::Kind::Number:
      return;
    case Node::Kind::Symbol: {
      SymbolReference reference{node.name, node.label, std::nullopt, node.offset};
      if (node.subscript) reference.index = literal_index(*node.subscript);
      references.push_back(std::move(reference));
      if (node.subscript) collect_references(*node.subscript, references);
      return;
    }
    case Node::Kind::Operation:
      for (const NodePtr& operand : node.operands) collect_references(*operand, references);
      return;
  }
}

}  // namespace

bool is_builtin_name(std::string_view name) { return name == kPiName || find_function(name) != nullptr; }

// ---------------------------------------------------------------------------
// CompiledExpression
// ---------------------------------------------------------------------------

// A default-constructed expression is the constant 0, so it is always safe to evaluate.
CompiledExpression::CompiledExpression()
    : program_{Instruction{Opcode::PushConstant, 0.0, 0}},
      canonical_key_(canonical_text(program_)),
      max_stack_(1),
      constant_(true),
      constant_value_(0.0) {}

CompiledExpression::~CompiledExpression() = default;
CompiledExpression::CompiledExpression(const CompiledExpression&) = default;
CompiledExpression& CompiledExpression::operator=(const CompiledExpression&) = default;
CompiledExpression::CompiledExpression(CompiledExpression&&) noexcept = default;
CompiledExpression& CompiledExpression::operator=(CompiledExpression&&) noexcept = default;

void CompiledExpression::evaluate(std::span<const double* const> columns, std::size_t n, double* out,
                                  double* scratch) const {
  // A short column table is a wiring bug in the caller; fail loudly rather than read past it.
  if (!columns_used_.empty() && columns_used_.back() >= columns.size()) {
    throw std::out_of_range("expression reads column " + std::to_string(columns_used_.back()) + " but only " +
                            std::to_string(columns.size()) + " columns were given");
  }
  run_program(program_, columns, n, out, scratch, max_stack_);
}

std::size_t CompiledExpression::scratch_size(std::size_t n) const { return max_stack_ * n; }

bool CompiledExpression::is_constant() const { return constant_; }

double CompiledExpression::constant_value() const { return constant_value_; }

const std::vector<std::size_t>& CompiledExpression::columns_used() const { return columns_used_; }

const std::string& CompiledExpression::canonical_key() const { return canonical_key_; }

double CompiledExpression::evaluate_scalar(std::span<const double> column_values) const {
  // The block path with n = 1, so the bits match evaluate() exactly.
  std::vector<const double*> columns(column_values.size());
  for (std::size_t k = 0; k < column_values.size(); ++k) columns[k] = &column_values[k];
  std::vector<double> scratch(scratch_size(1));
  double result = 0.0;
  evaluate(columns, 1, &result, scratch.data());
  return result;
}

// ---------------------------------------------------------------------------
// Expression
// ---------------------------------------------------------------------------

Expression::Expression() = default;
Expression::~Expression() = default;
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

Expression Expression::parse(std::string_view text) {
  Expression expression;
  expression.text_ = std::string(text);
  // The tree does not point into the text, so text_ may be moved freely.
  expression.root_ = Parser(expression.text_).parse_all();
  return expression;
}

std::vector<SymbolReference> Expression::references() const {
  std::vector<SymbolReference> references;
  if (root_) collect_references(*root_, references);
  return references;
}

CompiledExpression Expression::compile(const SymbolResolver& resolve) const {
  if (!root_) throw ExpressionError("expected an expression, found end of text", 0);
  CompiledExpression compiled;
  compiled.program_ = ProgramBuilder(resolve).build(*root_);
  compiled.columns_used_ = columns_read(compiled.program_);
  compiled.canonical_key_ = canonical_text(compiled.program_);
  compiled.max_stack_ = stack_depth_needed(compiled.program_);
  compiled.constant_ = is_single_constant(compiled.program_);
  compiled.constant_value_ = compiled.constant_ ? compiled.program_.front().constant : 0.0;
  return compiled;
}

}  // namespace mcrisk::model
