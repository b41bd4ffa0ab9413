#pragma once
// The report for people: DIR/report.html (one self-contained file: charts,
// findings in plain English, method appendix), the charts as PNG and SVG in
// DIR/charts/, and DIR/summary.xlsx. Built from a run's DIR/summary.json and
// DIR/samples.csv plus the model: the C++ side writes DIR/model.json (the
// outline, for the appendix) and the workbook, then runs
// scripts/report_charts.py (matplotlib, Debian's /usr/bin/python3) for the
// charts and the HTML. Every file is written to a temporary name and renamed.

#include <filesystem>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"

namespace mcrisk::report {

//! Where the report's files went.
struct ReportFiles {
  std::filesystem::path html, workbook, charts, model_outline;
};

//! The folder holding report_charts.py: $MCRISK_SCRIPTS, else scripts/ beside
//! the build or install tree of the running executable, else the source tree
//! this binary was built from. Throws std::runtime_error listing the places tried.
std::filesystem::path find_scripts_directory();

//! The Python interpreter for the charts: $MCRISK_PYTHON, else /usr/bin/python3
//! (which sees Debian's python3-matplotlib).
std::filesystem::path python_interpreter();

//! The config file a run recorded in DIR/summary.json (model.config_file).
std::string config_file_of_run(const std::filesystem::path& directory);

//! Builds the report in DIR from DIR/summary.json and DIR/samples.csv (written
//! by `mcrisk run --samples`) and the model the run used. Throws
//! std::runtime_error with a message saying what is missing and how to get it.
ReportFiles build_report(const model::Model& model, const std::filesystem::path& directory);

}  // namespace mcrisk::report
