// Unit tests of the expression module: grammar, functions, folding, symbol
// resolution, error positions, and bit-for-bit agreement of block and scalar
// evaluation.

#include "mcrisk/model/expression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

namespace mcrisk::model {
namespace {

ResolvedSymbol column(std::size_t index) { return ResolvedSymbol{ResolvedSymbol::Kind::Column, 0.0, index}; }
ResolvedSymbol constant(double value) { return ResolvedSymbol{ResolvedSymbol::Kind::Constant, value, 0}; }

//! A resolver over a fixed table that records every reference it is asked about.
class SymbolTable {
 public:
  SymbolTable(std::initializer_list<std::pair<const std::string, ResolvedSymbol>> entries) : table_(entries) {}

  SymbolResolver resolver() {
    return [this](const SymbolReference& reference) {
      seen_.push_back(reference);
      const auto found = table_.find(reference.name);
      if (found == table_.end()) throw ExpressionError("unknown name '" + reference.name + "'", reference.offset);
      return found->second;
    };
  }
  const std::vector<SymbolReference>& seen() const { return seen_; }

 private:
  std::map<std::string, ResolvedSymbol> table_;
  std::vector<SymbolReference> seen_;
};

CompiledExpression compile(std::string_view text, SymbolTable& symbols) {
  return Expression::parse(text).compile(symbols.resolver());
}

//! Value of an expression that uses no names.
double value_of(std::string_view text) {
  SymbolTable none{};
  return compile(text, none).evaluate_scalar({});
}

std::uint64_t bits(double value) { return std::bit_cast<std::uint64_t>(value); }

//! Shortest text that parses back to exactly value (negative values become unary minus, which is exact).
std::string literal(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// ---------------------------------------------------------------------------
// Grammar
// ---------------------------------------------------------------------------

struct PrecedenceCase {
  const char* text;
  double expected;
};

TEST(ExpressionGrammar, PrecedenceAndAssociativity) {
  const PrecedenceCase cases[] = {
      {"2^3^2", 512},                // ^ is right associative
      {"-2^2", -4},                  // ^ binds tighter than unary minus
      {"(-2)^2", 4},
      {"2^-1", 0.5},                 // the exponent may carry a sign
      {"-2^-2", -0.25},
      {"2*3^2", 18},
      {"1+2*3", 7},
      {"(1+2)*3", 9},
      {"10-4-3", 3},                 // - is left associative
      {"64/4/2", 8},                 // / is left associative
      {"3 - -2", 5},
      {"- - 2", 2},
      {"+3", 3},
      {"!0", 1},
      {"!2", 0},
      {"!!3", 1},
      {"!0 + 1", 2},                 // ! is unary, tighter than +
      {"1 + 2 < 4", 1},              // arithmetic before comparison
      {"1 < 2 == 1", 1},             // relational before equality
      {"1 < 2 && 3 > 4", 0},
      {"1 || 0 && 0", 1},            // && before ||
      {"(1 || 0) && 0", 0},
      {"0.0 || 3", 1},               // nonzero is true
      {"1 && 2", 1},
      {"3 >= 3", 1},
      {"3 > 3", 0},
      {"3 <= 2", 0},
      {"3 != 3", 0},
      {"2 == 2", 1},
      {"1 ? 2 : 3", 2},
      {"0 ? 2 : 3", 3},
      {"1 ? 2 : 0 ? 3 : 4", 2},      // ?: is right associative
      {"0 ? 2 : 0 ? 3 : 4", 4},
      {"0 ? 2 : 1 ? 3 : 4", 3},
      {"1 ? 0 ? 5 : 6 : 7", 6},      // nested in the middle operand
      {"0 ? 2 : 3 + 10", 13},        // ?: is the loosest operator
      {"1 == 1 ? 5 : 6", 5},
      {"1.5e2", 150},
      {".5 + 1.5", 2},
      {"1.", 1},
      {"2E+1", 20},
      {" 1 +\n\t2 ", 3},             // any whitespace, including newlines
  };
  for (const PrecedenceCase& test : cases) {
    EXPECT_EQ(value_of(test.text), test.expected) << test.text;
  }
  EXPECT_EQ(value_of("1e-3"), 1e-3);
}

TEST(ExpressionGrammar, PiIsBuiltInButEIsAnOrdinaryName) {
  SymbolTable symbols{{"e", constant(5.0)}};
  const CompiledExpression compiled = compile("pi + e", symbols);
  EXPECT_TRUE(compiled.is_constant());
  EXPECT_EQ(compiled.constant_value(), std::numbers::pi + 5.0);
  ASSERT_EQ(symbols.seen().size(), 1u);  // pi never reaches the resolver
  EXPECT_EQ(symbols.seen()[0].name, "e");
  EXPECT_EQ(symbols.seen()[0].offset, 5u);
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

struct UnaryFunctionCase {
  const char* name;
  double (*reference)(double);
  std::vector<double> inputs;
};

TEST(ExpressionFunctions, UnaryFunctionsMatchTheStandardLibrary) {
  const UnaryFunctionCase cases[] = {
      {"abs", [](double x) { return std::fabs(x); }, {-2.5, 0.0, 3.25}},
      {"exp", [](double x) { return std::exp(x); }, {-1.0, 0.0, 1.0, 2.5}},
      {"log", [](double x) { return std::log(x); }, {0.5, 1.0, 10.0}},
      {"log10", [](double x) { return std::log10(x); }, {0.01, 1000.0, 7.0}},
      {"sqrt", [](double x) { return std::sqrt(x); }, {0.0, 2.0, 16.0}},
      {"sin", [](double x) { return std::sin(x); }, {-1.0, 0.5, 3.0}},
      {"cos", [](double x) { return std::cos(x); }, {-1.0, 0.5, 3.0}},
      {"tan", [](double x) { return std::tan(x); }, {-1.0, 0.5, 1.5}},
      {"floor", [](double x) { return std::floor(x); }, {-1.5, -1.0, 1.5, 2.0}},
      {"ceil", [](double x) { return std::ceil(x); }, {-1.5, -1.0, 1.5, 2.0}},
      {"round", [](double x) { return std::round(x); }, {-2.5, -1.5, -0.4, 0.5, 1.5, 2.5, 2.49}},
  };
  for (const UnaryFunctionCase& test : cases) {
    SymbolTable symbols{{"x", column(0)}};
    const CompiledExpression on_column = compile(std::string(test.name) + "(x)", symbols);
    ASSERT_FALSE(on_column.is_constant()) << test.name;
    for (const double input : test.inputs) {
      const double expected = test.reference(input);
      EXPECT_EQ(bits(on_column.evaluate_scalar(std::vector<double>{input})), bits(expected))
          << test.name << "(" << input << ")";
      // The folded path must agree too.
      const std::string folded_text = std::string(test.name) + "(" + literal(input) + ")";
      EXPECT_EQ(bits(value_of(folded_text)), bits(expected)) << folded_text;
    }
  }
}

TEST(ExpressionFunctions, RoundIsHalfAwayFromZero) {
  EXPECT_EQ(value_of("round(2.5)"), 3.0);
  EXPECT_EQ(value_of("round(-2.5)"), -3.0);
  EXPECT_EQ(value_of("round(0.5)"), 1.0);
  EXPECT_EQ(value_of("round(-0.5)"), -1.0);
  EXPECT_EQ(value_of("round(1.4999)"), 1.0);
}

TEST(ExpressionFunctions, MultiArgumentFunctions) {
  EXPECT_EQ(value_of("min(3, 1, 2)"), 1.0);
  EXPECT_EQ(value_of("max(3, 1, 2)"), 3.0);
  EXPECT_EQ(value_of("min(4, 5)"), 4.0);
  EXPECT_EQ(value_of("max(-4, -5)"), -4.0);
  EXPECT_EQ(value_of("min(9, 8, 7, 6, 5, 4)"), 4.0);
  EXPECT_EQ(value_of("clamp(5, 0, 2)"), 2.0);
  EXPECT_EQ(value_of("clamp(-1, 0, 2)"), 0.0);
  EXPECT_EQ(value_of("clamp(1.5, 0, 2)"), 1.5);
  EXPECT_EQ(value_of("pow(2, 10)"), 1024.0);
  EXPECT_EQ(value_of("pow(2, 0.5)"), std::pow(2.0, 0.5));
  EXPECT_EQ(value_of("pow(2, 0.5)"), value_of("2^0.5"));
  EXPECT_EQ(value_of("if(1, 2, 3)"), 2.0);
  EXPECT_EQ(value_of("if(0, 2, 3)"), 3.0);
  EXPECT_EQ(value_of("if(-0.5, 2, 3)"), 2.0);
}

TEST(ExpressionFunctions, SquareIsAPlainMultiplyWhateverTheOperand) {
  SymbolTable symbols{{"x", column(0)}, {"two", constant(2.0)}};
  std::mt19937_64 generator(11);
  std::uniform_real_distribution<double> uniform(-10.0, 10.0);
  const CompiledExpression squared = compile("x^2", symbols);
  EXPECT_EQ(squared.canonical_key(), compile("pow(x, two)", symbols).canonical_key());
  EXPECT_NE(squared.canonical_key(), compile("x^2.5", symbols).canonical_key());
  for (int i = 0; i < 200; ++i) {
    const double x = uniform(generator);
    SymbolTable fixed{{"x", constant(x)}};
    const double folded = compile("x^2", fixed).constant_value();
    EXPECT_EQ(bits(squared.evaluate_scalar(std::vector<double>{x})), bits(x * x)) << x;
    EXPECT_EQ(bits(folded), bits(x * x)) << x;
  }
}

TEST(ExpressionFunctions, MinMaxAndClampPropagateNaN) {
  SymbolTable symbols{{"x", column(0)}};
  const std::vector<double> nan{std::numeric_limits<double>::quiet_NaN()};
  for (const char* text : {"min(x, 1)", "min(1, x)", "max(x, 1)", "max(1, x)", "clamp(x, 0, 1)", "clamp(0.5, x, 1)",
                           "clamp(0.5, 0, x)"}) {
    EXPECT_TRUE(std::isnan(compile(text, symbols).evaluate_scalar(nan))) << text;
  }
}

TEST(ExpressionFunctions, BothBranchesAreComputedButOnlyTheChosenOneIsKept) {
  // sqrt(-4) is NaN in the untaken branch; selection per lane must not leak it.
  SymbolTable symbols{{"x", column(0)}};
  const CompiledExpression guarded = compile("if(x > 0, sqrt(x), 0) + (x < 0 ? 1 : log(x))", symbols);
  EXPECT_EQ(guarded.evaluate_scalar(std::vector<double>{-4.0}), 1.0);
  EXPECT_EQ(guarded.evaluate_scalar(std::vector<double>{4.0}), 2.0 + std::log(4.0));
}

// ---------------------------------------------------------------------------
// Compilation: folding, columns, keys
// ---------------------------------------------------------------------------

TEST(ExpressionCompile, ConstantsAndConstantNamesFold) {
  SymbolTable symbols{{"rate", constant(0.25)}, {"t", constant(3.0)}};
  const CompiledExpression compiled = compile("(1 + rate)^t * max(sqrt(4), 1) - log(1)", symbols);
  EXPECT_TRUE(compiled.is_constant());
  EXPECT_EQ(compiled.constant_value(), std::pow(1.25, 3.0) * 2.0 - std::log(1.0));
  EXPECT_TRUE(compiled.columns_used().empty());
  EXPECT_EQ(compiled.scratch_size(64), 64u);
  EXPECT_EQ(compiled.evaluate_scalar({}), compiled.constant_value());
}

TEST(ExpressionCompile, ConstantSubtreesFoldInsideColumnExpressions) {
  SymbolTable symbols{{"x", column(0)}, {"t", constant(2.0)}};
  const CompiledExpression partly = compile("x + 1 * t", symbols);
  EXPECT_FALSE(partly.is_constant());
  EXPECT_EQ(partly.canonical_key(), compile("x + 2", symbols).canonical_key());
  EXPECT_EQ(partly.scratch_size(10), 20u);  // folded: two stack slots, not three
  EXPECT_FALSE(compile("x * 0", symbols).is_constant());  // x may be NaN or inf: no algebraic shortcuts
}

TEST(ExpressionCompile, ConstantConditionKeepsOnlyTheChosenBranch) {
  SymbolTable symbols{{"x", column(4)}, {"y", column(7)}, {"t", constant(1.0)}};
  const CompiledExpression taken = compile("if(t > 0, x, y)", symbols);
  EXPECT_EQ(taken.columns_used(), std::vector<std::size_t>{4});
  EXPECT_EQ(taken.canonical_key(), compile("x", symbols).canonical_key());
  EXPECT_EQ(compile("t < 0 ? x : y", symbols).columns_used(), std::vector<std::size_t>{7});
}

TEST(ExpressionCompile, ColumnsAreSortedAndUnique) {
  SymbolTable symbols{{"a", column(5)}, {"b", column(2)}, {"c", column(9)}, {"k", constant(1.0)}};
  const CompiledExpression compiled = compile("b + a * b + c * k + a", symbols);
  EXPECT_EQ(compiled.columns_used(), (std::vector<std::size_t>{2, 5, 9}));
  std::vector<double> values(10, 0.0);
  values[5] = 2.0;
  values[2] = 3.0;
  values[9] = 4.0;
  EXPECT_EQ(compiled.evaluate_scalar(values), 3.0 + 2.0 * 3.0 + 4.0 + 2.0);
}

TEST(ExpressionCompile, ScratchSizeFollowsStackDepth) {
  SymbolTable symbols{{"a", column(0)}, {"b", column(1)}, {"c", column(2)}, {"d", column(3)}};
  EXPECT_EQ(compile("a", symbols).scratch_size(10), 10u);
  EXPECT_EQ(compile("a + b + c + d", symbols).scratch_size(10), 20u);
  EXPECT_EQ(compile("a + (b + (c + d))", symbols).scratch_size(10), 40u);
}

TEST(ExpressionCompile, CanonicalKeysIdentifyPrograms) {
  SymbolTable symbols{{"x", column(0)}, {"y", column(1)}, {"one", constant(1.0)}};
  const std::string key = compile("x + 1", symbols).canonical_key();
  EXPECT_EQ(key, compile("x+1", symbols).canonical_key());
  EXPECT_EQ(key, compile("x + (3 - 2)", symbols).canonical_key());
  EXPECT_EQ(key, compile("x + one", symbols).canonical_key());
  EXPECT_NE(key, compile("1 + x", symbols).canonical_key());
  EXPECT_NE(key, compile("y + 1", symbols).canonical_key());
  EXPECT_NE(key, compile("x - 1", symbols).canonical_key());
  EXPECT_NE(key, compile("x + 1.0000000000000002", symbols).canonical_key());  // one ulp apart
  EXPECT_NE(compile("min(x, y)", symbols).canonical_key(), compile("max(x, y)", symbols).canonical_key());
}

TEST(ExpressionCompile, DefaultConstructedIsZero) {
  const CompiledExpression empty;
  EXPECT_TRUE(empty.is_constant());
  EXPECT_EQ(empty.constant_value(), 0.0);
  EXPECT_EQ(empty.evaluate_scalar({}), 0.0);
}

TEST(ExpressionCompile, TooFewColumnsIsReported) {
  SymbolTable symbols{{"x", column(3)}};
  const CompiledExpression compiled = compile("x + 1", symbols);
  EXPECT_THROW(compiled.evaluate_scalar(std::vector<double>{1.0, 2.0}), std::out_of_range);
}

TEST(ExpressionCompile, CopiesAreIndependentAndEquivalent) {
  SymbolTable symbols{{"x", column(0)}};
  const Expression parsed = Expression::parse("x * 2 + 1");
  Expression copy = parsed;
  const CompiledExpression compiled = copy.compile(symbols.resolver());
  copy = Expression::parse("0");
  CompiledExpression moved = compiled;
  EXPECT_EQ(parsed.text(), "x * 2 + 1");
  EXPECT_EQ(moved.evaluate_scalar(std::vector<double>{3.0}), 7.0);
  EXPECT_EQ(parsed.compile(symbols.resolver()).canonical_key(), moved.canonical_key());
}

// ---------------------------------------------------------------------------
// Symbols and subscripts
// ---------------------------------------------------------------------------

TEST(ExpressionSymbols, SubscriptLabelsAndFoldedIndices) {
  SymbolTable symbols{{"r", column(0)}, {"g", column(1)}, {"t", constant(3.0)}};
  compile("r[education] + g['2011/12'] * g[\"2011/12\"] - g[t-1] + g[t] + g[2 * t]", symbols);
  const std::vector<SymbolReference>& seen = symbols.seen();

  const auto find = [&](std::size_t offset) -> const SymbolReference& {
    const auto found =
        std::find_if(seen.begin(), seen.end(), [&](const SymbolReference& ref) { return ref.offset == offset; });
    EXPECT_NE(found, seen.end()) << "nothing resolved at offset " << offset;
    return *found;
  };
  const SymbolReference& education = find(0);
  EXPECT_EQ(education.name, "r");
  EXPECT_EQ(education.label, "education");
  EXPECT_FALSE(education.index.has_value());

  const SymbolReference& single_quoted = find(15);
  EXPECT_EQ(single_quoted.name, "g");
  EXPECT_EQ(single_quoted.label, "2011/12");
  EXPECT_FALSE(single_quoted.index.has_value());

  const SymbolReference& double_quoted = find(30);
  EXPECT_EQ(double_quoted.label, "2011/12");

  const SymbolReference& previous_year = find(45);
  EXPECT_FALSE(previous_year.label.has_value());
  EXPECT_EQ(previous_year.index, 2.0);

  const SymbolReference& bare_t = find(54);
  EXPECT_EQ(bare_t.label, "t");  // a bare name is a label; the resolver decides what it means
  EXPECT_FALSE(bare_t.index.has_value());

  EXPECT_EQ(find(61).index, 6.0);
}

TEST(ExpressionSymbols, ReferencesListsNamesInTextOrder) {
  const Expression parsed = Expression::parse("g[t-1] + r[education] * x + g[2] + pi + max(y, 1)");
  const std::vector<SymbolReference> references = parsed.references();
  ASSERT_EQ(references.size(), 6u);
  EXPECT_EQ(references[0].name, "g");
  EXPECT_FALSE(references[0].index.has_value());  // depends on t, known only at compile()
  EXPECT_EQ(references[1].name, "t");
  EXPECT_EQ(references[1].offset, 2u);
  EXPECT_EQ(references[2].name, "r");
  EXPECT_EQ(references[2].label, "education");
  EXPECT_EQ(references[3].name, "x");
  EXPECT_EQ(references[4].name, "g");
  EXPECT_EQ(references[4].index, 2.0);
  EXPECT_EQ(references[4].offset, 28u);
  EXPECT_EQ(references[5].name, "y");
}

TEST(ExpressionSymbols, ResolverErrorsPropagate) {
  SymbolTable symbols{{"x", column(0)}};
  try {
    compile("x + missing", symbols);
    FAIL() << "expected an ExpressionError";
  } catch (const ExpressionError& error) {
    EXPECT_EQ(error.offset(), 4u);
    EXPECT_STREQ(error.what(), "unknown name 'missing'");
  }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

struct ErrorCase {
  std::string text;
  std::size_t offset;
  const char* message_part;
};

TEST(ExpressionErrors, PointAtTheOffendingCharacter) {
  const ErrorCase cases[] = {
      {"", 0, "expected an expression, found end of text"},
      {"   ", 3, "expected an expression"},
      {"1 +", 3, "expected a number, a name or '(', found end of text"},
      {"1 * * 2", 4, "found '*'"},
      {"(1 + 2", 6, "expected ')' to close '(' at column 1, found end of text"},
      {"2 * (1 + (2 - 3)", 16, "expected ')' to close '(' at column 5"},
      {"1 + 2)", 5, "unexpected ')' with no matching '('"},
      {"1 2", 2, "expected an operator or end of text, found '2'"},
      {"2x", 1, "found 'x'"},
      {"sqr(2)", 0, "unknown function 'sqr'; known functions: abs, ceil, clamp, cos, exp, floor, if, log, log10, max, "
                    "min, pow, round, sin, sqrt, tan"},
      {"1 + clamp(1, 2)", 4, "clamp takes 3 arguments (x, lo, hi), got 2"},
      {"min(1)", 0, "min takes at least 2 arguments (a, b, ...), got 1"},
      {"sqrt(1, 2)", 0, "sqrt takes 1 argument (x), got 2"},
      {"exp()", 0, "exp takes 1 argument (x), got 0"},
      {"if(1, 2)", 0, "if takes 3 arguments (condition, then, else), got 2"},
      {"max(1, 2", 8, "expected ',' or ')' in the arguments of 'max' opened at column 4"},
      {"max(1,)", 6, "found ')'"},
      {"sqrt + 1", 0, "'sqrt' is a function; expected '(' after it"},
      {"pi(2)", 0, "'pi' is a constant, not a function"},
      {"pi[1]", 2, "'pi' is a built-in constant and takes no subscript"},
      {"1 # 2", 2, "unexpected character '#'"},
      {"x % 2", 2, "unexpected character '%'"},
      {"x = 1", 2, "write '==' to compare"},
      {"x & y", 2, "write '&&'"},
      {"x | y", 2, "write '||'"},
      {"2 ** 3", 2, "write '^' for powers"},
      {"1e+", 3, "expected digits in the exponent of '1e+'"},
      {"2 * 1e999", 4, "number '1e999' is out of range"},
      {"1 ? 2", 5, "expected ':' to complete '?' at column 3, found end of text"},
      {"0 < x < 1", 6, "comparisons cannot be chained"},
      {"x == 1 != 0", 7, "comparisons cannot be chained"},
      {"g['2011", 2, "unterminated string"},
      {"'2011' + 1", 0, "a quoted string is only allowed as a subscript"},
      {"g[1", 3, "expected ']' to close '[' at column 2, found end of text"},
      {"g[]", 2, "expected a subscript"},
      {"g[1][2]", 4, "a name takes only one subscript"},
      {"x + g[x * 2]", 6, "the subscript of 'g' is not constant"},
      {"1 + \xC3\xA9", 4, "unexpected character (byte 0xC3)"},
      {std::string(2000, '(') + "1" + std::string(2000, ')'), 500, "nested too deeply"},
      {std::string(3000, '-') + "1", 999, "nested too deeply"},
  };
  for (const ErrorCase& test : cases) {
    SymbolTable symbols{{"x", column(0)}, {"y", column(1)}, {"g", column(2)}, {"t", constant(3.0)}};
    try {
      compile(test.text, symbols);
      ADD_FAILURE() << "no error for: " << test.text;
    } catch (const ExpressionError& error) {
      EXPECT_EQ(error.offset(), test.offset) << test.text << " -> " << error.what();
      EXPECT_NE(std::string(error.what()).find(test.message_part), std::string::npos)
          << test.text << " -> " << error.what();
    }
  }
}

TEST(ExpressionErrors, LongFlatChainsAreBoundedNotCrashing) {
  std::string sum = "1";
  for (int i = 0; i < 5000; ++i) sum += " + 1";
  EXPECT_THROW(Expression::parse(sum), ExpressionError);
  std::string modest = "1";
  for (int i = 0; i < 500; ++i) modest += " + 1";
  EXPECT_EQ(value_of(modest), 501.0);
}

// ---------------------------------------------------------------------------
// Block evaluation
// ---------------------------------------------------------------------------

//! Three columns of random lanes, with zeros, ties and a NaN mixed in.
std::vector<std::vector<double>> random_lanes(std::size_t lanes) {
  std::mt19937_64 generator(20240611);
  std::uniform_real_distribution<double> uniform(-3.0, 3.0);
  std::vector<std::vector<double>> columns(3, std::vector<double>(lanes));
  for (auto& values : columns) {
    for (double& value : values) value = uniform(generator);
  }
  for (std::size_t lane = 0; lane < lanes; lane += 17) columns[0][lane] = columns[1][lane];  // ties
  for (std::size_t lane = 5; lane < lanes; lane += 23) columns[2][lane] = 0.0;
  columns[1][lanes / 2] = std::numeric_limits<double>::quiet_NaN();
  return columns;
}

//! Evaluates all lanes in blocks of n, with garbage in scratch and out to catch reads of uninitialised slots.
std::vector<double> evaluate_in_blocks(const CompiledExpression& compiled, const std::vector<std::vector<double>>& data,
                                       std::size_t n) {
  const std::size_t lanes = data[0].size();
  std::vector<double> out(lanes, -1.0e300);  // garbage too: the bottom stack slot is usually the output
  std::vector<double> scratch(compiled.scratch_size(n));
  for (std::size_t start = 0; start < lanes; start += n) {
    const std::size_t count = std::min(n, lanes - start);
    std::vector<const double*> columns;
    for (const auto& values : data) columns.push_back(values.data() + start);
    std::fill(scratch.begin(), scratch.end(), -1.0e300);
    compiled.evaluate(columns, count, out.data() + start, scratch.data());
  }
  return out;
}

TEST(ExpressionEvaluate, BlocksMatchScalarBitForBit) {
  const std::vector<std::vector<double>> data = random_lanes(300);
  SymbolTable symbols{{"x1", column(0)}, {"x2", column(1)}, {"x3", column(2)}, {"k", constant(0.7)}};
  const char* expressions[] = {
      "sin(x1) + 7*sin(x2)^2 + 0.1*x3^4*sin(x1)",
      "if(x1 > x2, log(abs(x1) + 1), exp(x2 / 3)) - clamp(x3, -1, 1)",
      "min(x1, x2, x3) * max(x1, 2, x3) / (1 + x2^2)",
      "round(x1 * 10) / 10 + floor(x2) - ceil(x3) + sqrt(abs(x3)) + log10(abs(x1) + 1e-9) + tan(x2 / 4) + cos(x3)",
      "x1 < x2 || x3 >= 0 && !(x1 == x2) ? pow(abs(x2), x3) : -x1",
      "(x1 != x2) + (x1 <= x3) * k - (x3 ? 1 / x3 : 0)",
      "x1 - x2 - x3 - (x1 - (x2 - x3))",
  };
  for (const char* text : expressions) {
    const CompiledExpression compiled = compile(text, symbols);
    std::vector<double> scalar(data[0].size());
    for (std::size_t lane = 0; lane < scalar.size(); ++lane) {
      scalar[lane] = compiled.evaluate_scalar(std::vector<double>{data[0][lane], data[1][lane], data[2][lane]});
    }
    for (const std::size_t n : {1u, 3u, 64u, 257u}) {
      const std::vector<double> block = evaluate_in_blocks(compiled, data, n);
      for (std::size_t lane = 0; lane < scalar.size(); ++lane) {
        ASSERT_EQ(bits(block[lane]), bits(scalar[lane])) << text << " lane " << lane << " n " << n;
      }
    }
  }
}

// The result's slot is the output itself, unless the program reads a column that is the output (a
// scenario's shift or scale runs in place on its column): then writing that slot early would change what
// a later push of the column reads. All but the two simplest programs read x after an operation has
// filled the bottom slot (the clamp through a ternary's materialised operand).
TEST(ExpressionEvaluate, InPlaceOnAColumnItReadsGivesTheSameBits) {
  const std::vector<std::vector<double>> data = random_lanes(300);
  SymbolTable symbols{{"x", column(0)}, {"y", column(1)}};
  for (const char* text : {"(x + 1) * x", "x * 1.1", "(x - y) / (x + 2) + x", "if(x > 0, x, -x) + x * y", "clamp(x, y, x + 1) + x", "y + x"}) {
    const CompiledExpression compiled = compile(text, symbols);
    const std::vector<double> expected = evaluate_in_blocks(compiled, data, 64);
    std::vector<double> x = data[0];
    std::vector<double> scratch(compiled.scratch_size(x.size()), -1.0e300);
    const std::vector<const double*> columns{x.data(), data[1].data()};
    compiled.evaluate(columns, x.size(), x.data(), scratch.data());  // out is column x
    for (std::size_t lane = 0; lane < x.size(); ++lane) ASSERT_EQ(bits(x[lane]), bits(expected[lane])) << text << " lane " << lane;
  }
  // An output inside the scratch (the second stack slot's lanes): written only at the end, as before.
  const CompiledExpression deep = compile("(x + 1) * (y + 2) - x", symbols);
  const std::vector<double> expected = evaluate_in_blocks(deep, data, 64);
  const std::size_t n = data[0].size();
  ASSERT_GE(deep.scratch_size(n), 2 * n);
  std::vector<double> scratch(deep.scratch_size(n), -1.0e300);
  const std::vector<const double*> columns{data[0].data(), data[1].data()};
  deep.evaluate(columns, n, scratch.data() + n, scratch.data());
  for (std::size_t lane = 0; lane < n; ++lane) ASSERT_EQ(bits(scratch[n + lane]), bits(expected[lane])) << "lane " << lane;
}

// min and max as the expression language defines them: a NaN on either side is the result.
double nan_max(double a, double b) { return std::isnan(a) ? a : (a > b ? a : b); }
double nan_min(double a, double b) { return std::isnan(a) ? a : (a < b ? a : b); }

// The interpreter reads constants and columns where they are (no copy into a
// stack slot): every operand kind on each side of each arity, in place and into
// another slot, and a program deeper than the interpreter's fixed stack (32
// entries), against the same operations written out in C++.
TEST(ExpressionEvaluate, ConstantAndColumnOperandsInEveryPositionMatchDirectComputation) {
  const std::vector<std::vector<double>> data = random_lanes(300);
  SymbolTable symbols{{"x1", column(0)}, {"x2", column(1)}, {"x3", column(2)}, {"k", constant(0.7)}};
  struct Case {
    const char* text;
    double (*direct)(double, double, double);
  };
  const Case cases[] = {
      {"2 * x1 - x2 / 3", [](double a, double b, double) { return 2.0 * a - b / 3.0; }},
      {"k - x1", [](double a, double, double) { return 0.7 - a; }},
      {"x1", [](double a, double, double) { return a; }},
      {"-x2", [](double, double b, double) { return -b; }},
      {"abs(x1) * (x2 + x3)", [](double a, double b, double c) { return std::fabs(a) * (b + c); }},
      {"(x1 + 1) * (x2 - 1)", [](double a, double b, double) { return (a + 1.0) * (b - 1.0); }},
      {"(x1 + x2) * 2", [](double a, double b, double) { return (a + b) * 2.0; }},  // computed left, constant right: in place
      {"-(x1 * x3)", [](double a, double, double c) { return -(a * c); }},          // unary in place
      {"sqrt(abs(x1)) / 4", [](double a, double, double) { return std::sqrt(std::fabs(a)) / 4.0; }},
      {"clamp(x1, -0.5, 0.5)", [](double a, double, double) { return nan_min(nan_max(a, -0.5), 0.5); }},
      {"clamp(x1 * 2, x2, 1)", [](double a, double b, double) { return nan_min(nan_max(a * 2.0, b), 1.0); }},  // x2 has a NaN
      {"if(x3 > 0, 1, -1) * x2", [](double, double b, double c) { return (c > 0.0 ? 1.0 : -1.0) * b; }},
      {"if(x3 > 0, x1, 2)", [](double a, double, double c) { return c > 0.0 ? a : 2.0; }},
  };
  for (const Case& c : cases) {
    const CompiledExpression compiled = compile(c.text, symbols);
    for (const std::size_t n : {1u, 64u, 257u}) {
      const std::vector<double> block = evaluate_in_blocks(compiled, data, n);
      for (std::size_t lane = 0; lane < block.size(); ++lane) {
        const double expected = c.direct(data[0][lane], data[1][lane], data[2][lane]);
        if (std::isnan(expected)) {  // a NaN's sign is not kept by every form of the C++ (GCC makes -1 * b into -b)
          ASSERT_TRUE(std::isnan(block[lane])) << c.text << " lane " << lane << " n " << n;
        } else {
          ASSERT_EQ(bits(block[lane]), bits(expected)) << c.text << " lane " << lane << " n " << n;
        }
      }
    }
  }
  // x1 - (x2 - (x1 - (x2 - ...))): 40 levels, each one stack entry deeper.
  std::string deep = "x3";
  for (int level = 0; level < 40; ++level) deep = std::string(level % 2 == 0 ? "x1" : "x2") + " - (" + deep + ")";
  const CompiledExpression compiled = compile(deep, symbols);
  const std::vector<double> block = evaluate_in_blocks(compiled, data, 64);
  for (std::size_t lane = 0; lane < block.size(); ++lane) {
    double expected = data[2][lane];
    for (int level = 0; level < 40; ++level) expected = data[level % 2 == 0 ? 0 : 1][lane] - expected;
    ASSERT_EQ(bits(block[lane]), bits(expected)) << "lane " << lane;
  }
}

TEST(ExpressionEvaluate, IshigamiMatchesDirectComputation) {
  SymbolTable symbols{{"x1", column(0)}, {"x2", column(1)}, {"x3", column(2)}};
  const CompiledExpression ishigami = compile("sin(x1) + 7*sin(x2)^2 + 0.1*x3^4*sin(x1)", symbols);
  EXPECT_EQ(ishigami.columns_used(), (std::vector<std::size_t>{0, 1, 2}));

  constexpr std::size_t kLanes = 4000;
  std::mt19937_64 generator(7);
  std::uniform_real_distribution<double> uniform(-std::numbers::pi, std::numbers::pi);
  std::vector<std::vector<double>> data(3, std::vector<double>(kLanes));
  for (auto& values : data) {
    for (double& value : values) value = uniform(generator);
  }
  const std::vector<double> result = evaluate_in_blocks(ishigami, data, 128);

  double sum = 0.0;
  for (std::size_t lane = 0; lane < kLanes; ++lane) {
    const double x1 = data[0][lane];
    const double x2 = data[1][lane];
    const double x3 = data[2][lane];
    // Same operations in the same order as the parse tree, so the bits must
    // agree; ^2 is a plain square, any other exponent is std::pow.
    const double sin_x2 = std::sin(x2);
    const double expected = std::sin(x1) + 7.0 * (sin_x2 * sin_x2) + 0.1 * std::pow(x3, 4.0) * std::sin(x1);
    ASSERT_EQ(bits(result[lane]), bits(expected)) << "lane " << lane;
    sum += result[lane];
  }
  // E[Y] = a/2 = 3.5 for a = 7; the standard error here is about 0.06.
  EXPECT_NEAR(sum / kLanes, 3.5, 0.3);
}

}  // namespace
}  // namespace mcrisk::model

// A constant condition compiles only its chosen branch: names in the other are
// never resolved, so a subscript that would be out of range there is harmless.
TEST(ExpressionConstantCondition, UntakenBranchIsNotResolved) {
  using mcrisk::model::Expression;
  using mcrisk::model::ExpressionError;
  using mcrisk::model::ResolvedSymbol;
  using mcrisk::model::SymbolReference;
  const auto expression = Expression::parse("if(t > 1, g[t-1], 0)");
  const auto resolver_at = [](double t) {
    return [t](const SymbolReference& reference) -> ResolvedSymbol {
      if (reference.name == "t") return {ResolvedSymbol::Kind::Constant, t, 0};
      if (reference.name == "g" && reference.index && *reference.index >= 1) return {ResolvedSymbol::Kind::Column, 0, 0};
      throw ExpressionError("g has no year " + std::to_string(reference.index.value_or(-1)), reference.offset);
    };
  };
  const auto at_one = expression.compile(resolver_at(1));
  EXPECT_TRUE(at_one.is_constant());
  EXPECT_EQ(at_one.constant_value(), 0.0);
  const auto at_two = expression.compile(resolver_at(2));
  EXPECT_FALSE(at_two.is_constant());
  EXPECT_EQ(at_two.columns_used(), std::vector<std::size_t>{0});
}
