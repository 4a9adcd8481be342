// pickle tensors FILE [--json]: every tensor and array in FILE, with its name, dtype,
// shape and size in bytes. Reads only the pickles, never the tensors' data.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "json_text.hpp"
#include "pickle/tensor_file.hpp"

namespace pickle::cli {

std::function<int()> add_tensors(CLI::App& app) {
  struct Args {
    std::string file;
    LoadArgs load{.encoding = "latin1"};
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "tensors",
      "List every tensor and numpy array in FILE (a pickle, compressed or not, a PyTorch "
      "checkpoint, an .npy or .npz file): name, dtype, shape and size in bytes");
  cmd->add_option("FILE", args->file, "Input file, or - for standard input")->required();
  cmd->add_flag("--json", args->json,
                "Print {\"tensors\": [{\"name\", \"dtype\", \"shape\", \"nbytes\"}, ...]}");
  add_load_options(*cmd, args->load,
                   "How to decode Python 2 str: latin1 (the default here: numpy arrays "
                   "written by Python 2 hold their data in one), ASCII, utf-8 or bytes");
  return [args]() -> int {
    return with_tensor_file(args->file, args->load, [&](TensorFile& file) {
      std::vector<NamedArray> arrays = file.arrays();
      std::string out;
      if (args->json) out += "{\"tensors\": [";
      for (size_t i = 0; i < arrays.size(); ++i) {
        const ArrayView& a = arrays[i].view;
        std::string shape = "[";
        for (size_t k = 0; k < a.shape.size(); ++k)
          shape += (k ? ", " : "") + std::to_string(a.shape[k]);
        shape += "]";
        if (args->json) {
          out += i ? ", {\"name\": " : "{\"name\": ";
          append_json_string(out, arrays[i].name);
          out += ", \"dtype\": ";
          append_json_string(out, a.dtype.name);
          out += ", \"shape\": " + shape + ", \"nbytes\": " + std::to_string(a.nbytes()) + "}";
        } else {
          out += arrays[i].name + "\t" + a.dtype.name + "\t" + shape + "\t" +
                 std::to_string(a.nbytes()) + "\n";
        }
      }
      if (args->json) out += "]}\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
      return kOk;
    });
  };
}

}  // namespace pickle::cli
