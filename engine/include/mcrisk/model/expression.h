#pragma once
// Arithmetic expressions of drivers: parsed once from config text, resolved
// against a model's symbols, compiled to a flat program that is evaluated over
// blocks of trials (structure of arrays) with no parsing or allocation per
// trial. The grammar is documented in docs/expressions.md.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mcrisk::model {

//! A syntax or resolution error, with the 0-based character offset in the text.
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::string message, std::size_t offset)
      : std::runtime_error(std::move(message)), offset_(offset) {}
  //! 0-based offset of the offending character in the expression text.
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

//! What the model knows about a name used in an expression.
struct SymbolReference {
  std::string name;                      //!< e.g. "realisation"
  std::optional<std::string> label;      //!< subscript given as a bare identifier or string: r[education], g['2011/12']
  std::optional<double> index;           //!< subscript given as a constant expression: g[t], g[t-1]
  std::size_t offset = 0;                //!< where the name starts in the text
};

//! A resolved symbol: a constant (option parameter, year index...) or a column of per-trial values.
struct ResolvedSymbol {
  enum class Kind { Constant, Column } kind = Kind::Constant;
  double value = 0.0;      //!< when Constant
  std::size_t column = 0;  //!< when Column: index into the column table passed to evaluate()
};

//! Resolves names; throws ExpressionError (with the reference's offset) for unknown names.
using SymbolResolver = std::function<ResolvedSymbol(const SymbolReference&)>;

//! A compiled expression: a short stack program over columns of per-trial values.
class CompiledExpression {
 public:
  //! Evaluates lanes [0, n) into out[0..n). columns[k] points at column k's n values; out may be one of
  //! them (evaluated in place). scratch must hold at least scratch_size(n) doubles. Lane results are
  //! independent of n.
  void evaluate(std::span<const double* const> columns, std::size_t n, double* out, double* scratch) const;
  //! Doubles of scratch needed to evaluate n lanes.
  std::size_t scratch_size(std::size_t n) const;
  //! True when the value does not depend on any column (folded at compile time).
  bool is_constant() const;
  //! The folded value; only meaningful when is_constant().
  double constant_value() const;
  //! Columns read by the program, ascending, without repeats.
  const std::vector<std::size_t>& columns_used() const;
  //! A canonical text of the program: equal programs give equal keys (for de-duplication).
  const std::string& canonical_key() const;
  //! Evaluates one lane from scalar column values (values[k] is column k). For plan and tests.
  double evaluate_scalar(std::span<const double> column_values) const;

  struct Instruction;  // defined in the implementation
  CompiledExpression();
  ~CompiledExpression();
  CompiledExpression(const CompiledExpression&);
  CompiledExpression& operator=(const CompiledExpression&);
  CompiledExpression(CompiledExpression&&) noexcept;
  CompiledExpression& operator=(CompiledExpression&&) noexcept;

 private:
  friend class Expression;
  std::vector<Instruction> program_;
  std::vector<std::size_t> columns_used_;
  std::string canonical_key_;
  std::size_t max_stack_ = 0;
  bool constant_ = false;
  double constant_value_ = 0.0;
};

//! True for names the expression language itself defines (functions such as
//! sqrt, and the constant pi): a model may not use them for its own symbols.
bool is_builtin_name(std::string_view name);

//! A parsed expression (syntax tree), not yet bound to a model.
class Expression {
 public:
  //! Parses text; throws ExpressionError pointing at the offending character.
  static Expression parse(std::string_view text);
  //! The source text.
  const std::string& text() const { return text_; }
  //! Every symbol reference in the text (names with their subscripts as written), in order.
  std::vector<SymbolReference> references() const;
  //! Resolves names and folds constants into a program. A subscript written as a
  //! bare identifier or a string literal reaches the resolver as `label` (the
  //! resolver may read a label that names a constant, such as t); any other
  //! subscript is folded to a constant `index` using the resolver, and is an
  //! error if not constant. Throws ExpressionError.
  CompiledExpression compile(const SymbolResolver& resolve) const;

  struct Node;  // defined in the implementation
  Expression();
  ~Expression();
  Expression(const Expression&);
  Expression& operator=(const Expression&);
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace mcrisk::model
