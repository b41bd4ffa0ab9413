#include "mcrisk/report/xlsx_report.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace mcrisk::report {

namespace {

using nlohmann::json;

// Writes cells of one sheet row by row; columns advance on each write.
class SheetWriter {
 public:
  SheetWriter(lxw_worksheet* sheet, lxw_format* text_format) : sheet_(sheet), text_(text_format) {}
  void text(const std::string& value, lxw_format* format = nullptr) {
    worksheet_write_string(sheet_, row_, column_++, value.c_str(), format ? format : text_);
  }
  void number(double value, lxw_format* format) { worksheet_write_number(sheet_, row_, column_++, value, format); }
  //! A JSON number, or an empty cell when the value is missing or not a number.
  void number(const json& value, lxw_format* format) {
    if (value.is_number()) number(value.get<double>(), format);
    else ++column_;
  }
  void skip() { ++column_; }
  void next_row() {
    ++row_;
    column_ = 0;
  }
  lxw_row_t row() const { return row_; }

 private:
  lxw_worksheet* sheet_;
  lxw_format* text_;
  lxw_row_t row_ = 0;
  lxw_col_t column_ = 0;
};

std::string money_format_for(const std::string& currency) {
  if (currency == "GBP") return "[$£-809]#,##0";
  if (currency == "EUR") return "[$€-1809]#,##0";
  if (currency == "USD") return "[$$-409]#,##0";
  return "#,##0";
}

const json& at_or_null(const json& object, const json::json_pointer& pointer) {
  static const json null_value;
  return object.contains(pointer) ? object.at(pointer) : null_value;
}

}  // namespace

void write_summary_workbook(const json& summary, const json& outline, const std::filesystem::path& path) {
  const std::filesystem::path temporary = path.string() + ".tmp." + std::to_string(::getpid());
  lxw_workbook* workbook = workbook_new(temporary.c_str());
  if (!workbook) throw std::runtime_error("cannot create " + temporary.string());

  const std::string currency = summary.at("model").value("currency", "GBP");
  lxw_format* heading = workbook_add_format(workbook);
  format_set_bold(heading);
  format_set_text_wrap(heading);
  format_set_align(heading, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* title = workbook_add_format(workbook);
  format_set_bold(title);
  format_set_font_size(title, 13);
  lxw_format* text = workbook_add_format(workbook);
  format_set_align(text, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* wrapped = workbook_add_format(workbook);
  format_set_text_wrap(wrapped);
  format_set_align(wrapped, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* money = workbook_add_format(workbook);
  format_set_num_format(money, money_format_for(currency).c_str());
  format_set_align(money, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* probability = workbook_add_format(workbook);
  format_set_num_format(probability, "0.0%");
  format_set_align(probability, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* plain = workbook_add_format(workbook);
  format_set_num_format(plain, "General");
  format_set_align(plain, LXW_ALIGN_VERTICAL_TOP);

  const json& options = summary.at("options");
  const json& order = summary.at("option_order");
  const std::vector<std::string> percentiles = {"P5", "P10", "P50", "P90", "P95"};
  std::vector<std::string> target_names;
  if (!order.empty()) {
    for (const auto& [name, target] : options.at(order.front().get<std::string>()).at("targets").items()) target_names.push_back(name);
  }

  {  // Headline
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "Headline");
    SheetWriter row(sheet, text);
    row.text(summary.at("model").value("name", ""), title);
    row.next_row();
    row.text("Total net savings over " + summary.at("model").at("years").front().get<std::string>() + " to " +
             summary.at("model").at("years").back().get<std::string>() + " (" + currency + "), " +
             std::to_string(summary.at("run").at("trials").get<std::size_t>()) + " trials; every interval is 95%.");
    row.next_row();
    row.next_row();
    std::vector<std::string> headers = {"Option", "Description", "Planned total net", "Mean", "Mean CI low", "Mean CI high"};
    for (const auto& p : percentiles) headers.push_back(p);
    for (const char* h : {"P(net loss)", "P(loss) CI low", "P(loss) CI high", "Expected shortfall 5%", "ES CI low", "ES CI high", "P(best)",
                          "P(best) CI low", "P(best) CI high", "NPV Green Book planned", "NPV Green Book mean", "BCR planned", "BCR mean"})
      headers.emplace_back(h);
    for (const auto& name : target_names) {
      headers.push_back("Target " + name + ": at least");
      headers.push_back("P(" + name + ")");
      headers.push_back("P(" + name + ") CI low");
      headers.push_back("P(" + name + ") CI high");
    }
    for (const auto& header : headers) row.text(header, heading);
    worksheet_set_row(sheet, row.row(), 45, nullptr);
    worksheet_freeze_panes(sheet, row.row() + 1, 1);
    row.next_row();
    for (const auto& id_json : order) {
      const std::string id = id_json.get<std::string>();
      const json& option = options.at(id);
      const json& total = option.at("total_net");
      row.text(id);
      row.text(option.value("description", ""));
      row.number(option.at("planned").at("total_net"), money);
      row.number(total.at("mean"), money);
      row.number(total.at("mean_ci95").at(0), money);
      row.number(total.at("mean_ci95").at(1), money);
      for (const auto& p : percentiles) row.number(at_or_null(total, json::json_pointer("/percentiles/" + p)), money);
      row.number(total.at("prob_loss"), probability);
      row.number(total.at("prob_loss_ci95").at(0), probability);
      row.number(total.at("prob_loss_ci95").at(1), probability);
      row.number(total.at("expected_shortfall_5"), money);
      row.number(total.at("expected_shortfall_5_ci95").at(0), money);
      row.number(total.at("expected_shortfall_5_ci95").at(1), money);
      row.number(option.at("prob_best"), probability);
      row.number(option.at("prob_best_ci95").at(0), probability);
      row.number(option.at("prob_best_ci95").at(1), probability);
      row.number(at_or_null(option, "/planned/npv_green_book"_json_pointer), money);
      row.number(at_or_null(option, "/npv_green_book/mean"_json_pointer), money);
      row.number(at_or_null(option, "/bcr/planned"_json_pointer), plain);
      row.number(at_or_null(option, "/bcr/mean"_json_pointer), plain);
      for (const auto& name : target_names) {
        const json& target = option.at("targets").at(name);
        row.number(target.at("at_least"), money);
        row.number(target.at("prob"), probability);
        row.number(target.at("prob_ci95").at(0), probability);
        row.number(target.at("prob_ci95").at(1), probability);
      }
      row.next_row();
    }
    worksheet_set_column(sheet, 0, 0, 8, nullptr);
    worksheet_set_column(sheet, 1, 1, 50, wrapped);
    worksheet_set_column(sheet, 2, lxw_col_t(headers.size() - 1), 14, nullptr);
  }

  {  // By year
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "By year");
    SheetWriter row(sheet, text);
    for (const char* header : {"Option", "Year", "Planned net", "Mean net", "P10 net", "P50 net", "P90 net"}) row.text(header, heading);
    worksheet_freeze_panes(sheet, 1, 0);
    row.next_row();
    for (const auto& id_json : order) {
      const std::string id = id_json.get<std::string>();
      for (const auto& year : options.at(id).at("by_year")) {
        row.text(id);
        row.text(year.at("year").get<std::string>());
        row.number(year.at("planned_net"), money);
        for (const char* stat : {"mean", "P10", "P50", "P90"}) row.number(year.at("net").at(stat), money);
        row.next_row();
      }
    }
    worksheet_set_column(sheet, 0, 1, 10, nullptr);
    worksheet_set_column(sheet, 2, 6, 14, nullptr);
  }

  {  // Comparisons
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "Comparisons");
    SheetWriter row(sheet, text);
    row.text("Total net savings of option A minus option B, on the same trials", title);
    row.next_row();
    row.next_row();
    for (const char* header : {"A", "B", "Mean A - B", "Mean CI low", "Mean CI high", "P10", "P50", "P90", "P(A better)", "P(A better) CI low",
                               "P(A better) CI high"})
      row.text(header, heading);
    row.next_row();
    if (summary.contains("comparisons")) {
      for (const auto& comparison : summary.at("comparisons")) {
        const json& difference = comparison.at("difference_total_net");
        row.text(comparison.at("a").get<std::string>());
        row.text(comparison.at("b").get<std::string>());
        row.number(difference.at("mean"), money);
        row.number(difference.at("mean_ci95").at(0), money);
        row.number(difference.at("mean_ci95").at(1), money);
        for (const char* stat : {"P10", "P50", "P90"}) row.number(difference.at(stat), money);
        row.number(comparison.at("prob_a_better"), probability);
        row.number(comparison.at("prob_a_better_ci95").at(0), probability);
        row.number(comparison.at("prob_a_better_ci95").at(1), probability);
        row.next_row();
      }
    }
    worksheet_set_column(sheet, 0, 1, 8, nullptr);
    worksheet_set_column(sheet, 2, 10, 14, nullptr);
  }

  {  // Assumptions
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "Assumptions");
    SheetWriter row(sheet, text);
    row.text("Drivers", title);
    row.next_row();
    for (const char* header : {"Driver", "Component", "Distribution", "Planned", "Rationale"}) row.text(header, heading);
    row.next_row();
    for (const auto& driver : outline.at("drivers")) {
      bool first = true;
      for (const auto& component : driver.at("components")) {
        row.text(driver.at("name").get<std::string>());
        row.text(component.at("label").get<std::string>());
        row.text(component.at("distribution").get<std::string>(), wrapped);
        row.number(component.at("planned"), plain);
        if (first) row.text(driver.value("rationale", ""), wrapped);
        first = false;
        row.next_row();
      }
    }
    row.next_row();
    row.text("Correlations of normal scores (Gaussian copula)", title);
    row.next_row();
    for (const char* header : {"Between", "And", "rho (normal scores)"}) row.text(header, heading);
    row.next_row();
    for (const auto& correlation : outline.at("correlations")) {
      row.text(correlation.at("a").get<std::string>());
      row.text(correlation.at("b").get<std::string>());
      row.number(correlation.at("rho"), plain);
      row.next_row();
    }
    row.next_row();
    row.text("Events", title);
    row.next_row();
    for (const char* header : {"Event", "Slots", "Years at risk", "Cost per occurrence", "Rationale"}) row.text(header, heading);
    row.next_row();
    for (const auto& event : outline.at("events")) {
      std::string years;
      for (const auto& year : event.at("years")) years += (years.empty() ? "" : ", ") + year.get<std::string>();
      row.text(event.at("name").get<std::string>());
      row.text(event.at("slot_set").get<std::string>() + (event.at("recurs").get<bool>() ? " (may recur)" : " (at most once per slot)"));
      row.text(years);
      row.text(event.at("cost").is_string() ? event.at("cost").get<std::string>() : "none");
      row.text(event.value("rationale", ""), wrapped);
      row.next_row();
      for (const auto& exposure : event.at("exposures")) {
        std::string slots, hazards;
        for (const auto& slot : exposure.at("slots")) slots += (slots.empty() ? "" : ", ") + slot.get<std::string>();
        for (const auto& [year, hazard] : exposure.at("hazard").items()) hazards += (hazards.empty() ? "" : ", ") + year + " " + hazard.dump();
        row.skip();
        row.text("option " + exposure.at("option").get<std::string>() + ": " + slots);
        row.text("hazard per year: " + hazards, wrapped);
        row.text("loss fraction " + exposure.at("loss_fraction").dump());
        row.next_row();
      }
    }
    worksheet_set_column(sheet, 0, 0, 22, nullptr);
    worksheet_set_column(sheet, 1, 1, 34, nullptr);
    worksheet_set_column(sheet, 2, 2, 40, nullptr);
    worksheet_set_column(sheet, 3, 3, 22, nullptr);
    worksheet_set_column(sheet, 4, 4, 90, nullptr);
  }

  {  // Run
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "Run");
    SheetWriter row(sheet, text);
    const json& run = summary.at("run");
    const json& model = summary.at("model");
    const auto fact = [&](const std::string& name, const std::string& value) {
      row.text(name, heading);
      row.text(value);
      row.next_row();
    };
    fact("Model", model.value("name", ""));
    fact("Config", model.value("config_file", ""));
    fact("Config sha256", model.value("config_sha256", ""));
    fact("Trials", run.at("trials").dump());
    fact("Seed", run.at("seed").dump());
    fact("Sampling", run.value("sampling", "mc"));
    fact("Replicate size", run.value("replicate_size", json(0)).dump());
    fact("Engine version", run.value("engine_version", ""));
    worksheet_set_column(sheet, 0, 0, 18, nullptr);
    worksheet_set_column(sheet, 1, 1, 80, nullptr);
  }

  const lxw_error error = workbook_close(workbook);
  if (error != LXW_NO_ERROR) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw std::runtime_error("cannot write " + path.string() + ": " + lxw_strerror(error));
  }
  std::error_code rename_error;
  std::filesystem::rename(temporary, path, rename_error);
  if (rename_error) {
    std::filesystem::remove(temporary, rename_error);
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path.string());
  }
}

}  // namespace mcrisk::report
