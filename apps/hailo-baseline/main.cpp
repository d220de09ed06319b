// hailo-baseline: the hailo_open.hailo collection's minimal C++ application for HailoRT 4.x.
//
// Uses the installed HailoRT through its C++ API only (hailo/hailort.hpp): enumerates the devices and prints
// their identity, loads a HEF, configures it on a virtual device, runs N frames through the asynchronous
// inference API at the model's own input sizes, and prints ONE JSON object on stdout (see README.md).
//
// Exit status: 0 success, 1 a HailoRT call failed (the JSON names the status), 2 bad command line,
// 3 the libhailort found at run time is not the version this program was built against.
//
// Copyright: hailo_open.hailo contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#include "hailo/hailort.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#ifndef BASELINE_HAILORT_VERSION
#error "BASELINE_HAILORT_VERSION must be defined by the build (CMakeLists.txt passes HailoRT_VERSION)"
#endif
#define BASELINE_APP_VERSION "1.0.0"

using Clock = std::chrono::steady_clock;

namespace {

constexpr int EXIT_HAILO_FAILURE = 1;
constexpr int EXIT_USAGE = 2;
constexpr int EXIT_VERSION_MISMATCH = 3;

struct Options {
    std::string hef;
    unsigned long frames = 100;
    unsigned long batch_size = 0;  // 0: the model's default
    unsigned long timeout_ms = 10000;
};

std::string json_string(const std::string &text)
{
    std::string out = "\"";
    for (const unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string json_number(double value)
{
    if (!std::isfinite(value)) {
        return "null";
    }
    std::ostringstream out;
    out.precision(6);
    out << std::fixed << value;
    std::string text = out.str();
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

// A fixed-size identity field: `length` bytes, not NUL-terminated; an empty field becomes null.
std::string json_field(const char *data, size_t length, size_t capacity)
{
    const std::string value(data, std::min(length, capacity));
    const auto end = value.find('\0');
    const std::string text = value.substr(0, end);
    return text.empty() ? "null" : json_string(text);
}

std::string architecture_name(hailo_device_architecture_t architecture)
{
    switch (architecture) {
    case HAILO_ARCH_HAILO8: return "HAILO8";
    case HAILO_ARCH_HAILO8L: return "HAILO8L";
    default: return "HAILO_ARCH_" + std::to_string(static_cast<int>(architecture));
    }
}

std::string status_name(hailo_status status)
{
    const char *name = hailo_get_status_message(status);
    return (nullptr == name) ? ("HAILO_STATUS_" + std::to_string(static_cast<int>(status))) : std::string(name);
}

std::string shape_json(const hailo_3d_image_shape_t &shape)
{
    return "[" + std::to_string(shape.height) + "," + std::to_string(shape.width) + "," +
        std::to_string(shape.features) + "]";
}

// The JSON object, filled in as the run goes; print() writes whatever was reached.
struct Report {
    std::string library_version;
    std::vector<std::string> devices;
    std::string model = "null";
    hailo_status status = HAILO_SUCCESS;
    std::string stage;
    std::string message;
    unsigned long frames = 0;
    double seconds = 0.0;
    std::vector<double> latencies_ms;

    void fail(hailo_status failed, const std::string &where, const std::string &what)
    {
        status = failed;
        stage = where;
        message = what;
    }

    static double percentile(std::vector<double> sorted, double fraction)
    {
        if (sorted.empty()) {
            return NAN;
        }
        std::sort(sorted.begin(), sorted.end());
        // Nearest rank: the smallest value with at least `fraction` of the values at or below it.
        const auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
        return sorted[std::max<size_t>(rank, 1) - 1];
    }

    void print(std::ostream &out) const
    {
        const bool ok = (HAILO_SUCCESS == status) && stage.empty();
        out << "{\"app\":\"hailo-baseline\",\"app_version\":\"" BASELINE_APP_VERSION "\""
            << ",\"hailort\":{\"built_against\":\"" BASELINE_HAILORT_VERSION "\",\"library\":"
            << (library_version.empty() ? "null" : json_string(library_version)) << "}"
            << ",\"ok\":" << (ok ? "true" : "false")
            << ",\"status\":" << json_string(status_name(status))
            << ",\"code\":" << static_cast<int>(status)
            << ",\"stage\":" << (stage.empty() ? "null" : json_string(stage))
            << ",\"message\":" << (message.empty() ? "null" : json_string(message))
            << ",\"devices\":[";
        for (size_t i = 0; i < devices.size(); i++) {
            out << (i ? "," : "") << devices[i];
        }
        const double fps = (seconds > 0.0) ? (static_cast<double>(frames) / seconds) : NAN;
        out << "],\"model\":" << model
            << ",\"frames\":" << frames
            << ",\"seconds\":" << json_number(frames ? seconds : NAN)
            << ",\"fps\":" << json_number(fps)
            << ",\"latency_ms\":{\"p50\":" << json_number(percentile(latencies_ms, 0.50))
            << ",\"p95\":" << json_number(percentile(latencies_ms, 0.95))
            << ",\"p99\":" << json_number(percentile(latencies_ms, 0.99)) << "}}" << std::endl;
    }
};

bool parse_count(const std::string &text, unsigned long &value)
{
    if (text.empty() || (text.find_first_not_of("0123456789") != std::string::npos) || (text.size() > 9)) {
        return false;
    }
    value = std::stoul(text);
    return value > 0;
}

const char *USAGE =
    "usage: hailo-baseline --hef FILE [--frames N] [--batch-size N] [--timeout-ms N]\n"
    "       hailo-baseline --version\n";

int parse_options(int argc, char **argv, Options &options, Report &report)
{
    for (int i = 1; i < argc; i++) {
        const std::string arg = argv[i];
        if (arg == "--version") {
            std::cout << "hailo-baseline " BASELINE_APP_VERSION " (HailoRT " BASELINE_HAILORT_VERSION ")" << std::endl;
            std::exit(0);
        }
        if ((arg == "-h") || (arg == "--help")) {
            std::cout << USAGE;
            std::exit(0);
        }
        if ((i + 1) >= argc) {
            report.fail(HAILO_INVALID_ARGUMENT, "arguments", arg + " needs a value or is not an option");
            return EXIT_USAGE;
        }
        const std::string value = argv[++i];
        bool valid = true;
        if (arg == "--hef") {
            options.hef = value;
        } else if (arg == "--frames") {
            valid = parse_count(value, options.frames);
        } else if (arg == "--batch-size") {
            valid = parse_count(value, options.batch_size) && (options.batch_size <= UINT16_MAX);
        } else if (arg == "--timeout-ms") {
            valid = parse_count(value, options.timeout_ms);
        } else {
            report.fail(HAILO_INVALID_ARGUMENT, "arguments", "unknown option " + arg);
            return EXIT_USAGE;
        }
        if (!valid) {
            report.fail(HAILO_INVALID_ARGUMENT, "arguments", arg + " must be a positive integer, not '" + value + "'");
            return EXIT_USAGE;
        }
    }
    if (options.hef.empty()) {
        report.fail(HAILO_INVALID_ARGUMENT, "arguments", "--hef FILE is required");
        return EXIT_USAGE;
    }
    return 0;
}

// Scan, open and identify every device; each device is released before the virtual device claims them.
hailo_status identify_devices(Report &report)
{
    auto device_ids = hailort::Device::scan();
    if (!device_ids) {
        report.fail(device_ids.status(), "scan", "Device::scan() failed");
        return device_ids.status();
    }
    for (const auto &id : device_ids.value()) {
        auto device = hailort::Device::create(id);
        if (!device) {
            report.fail(device.status(), "identify", "Device::create(\"" + id + "\") failed");
            return device.status();
        }
        auto identity = device.value()->identify();
        if (!identity) {
            report.fail(identity.status(), "identify", "Device::identify() failed on " + id);
            return identity.status();
        }
        const hailo_device_identity_t &info = identity.value();
        std::ostringstream entry;
        entry << "{\"id\":" << json_string(id)
              << ",\"architecture\":" << json_string(architecture_name(info.device_architecture))
              << ",\"firmware_version\":\"" << info.fw_version.major << "." << info.fw_version.minor << "."
              << info.fw_version.revision << "\""
              << ",\"firmware_release\":" << (info.is_release ? "true" : "false")
              << ",\"protocol_version\":" << info.protocol_version
              << ",\"board_name\":" << json_field(info.board_name, info.board_name_length, HAILO_MAX_BOARD_NAME_LENGTH)
              << ",\"serial_number\":"
              << json_field(info.serial_number, info.serial_number_length, HAILO_MAX_SERIAL_NUMBER_LENGTH)
              << ",\"part_number\":"
              << json_field(info.part_number, info.part_number_length, HAILO_MAX_PART_NUMBER_LENGTH)
              << ",\"product_name\":"
              << json_field(info.product_name, info.product_name_length, HAILO_MAX_PRODUCT_NAME_LENGTH) << "}";
        report.devices.push_back(entry.str());
    }
    return HAILO_SUCCESS;
}

std::string streams_json(const std::vector<hailort::InferModel::InferStream> &streams)
{
    std::string out = "[";
    for (size_t i = 0; i < streams.size(); i++) {
        const auto &stream = streams[i];
        out += (i ? "," : "");
        out += "{\"name\":" + json_string(stream.name()) + ",\"shape\":" + shape_json(stream.shape()) +
            ",\"format_type\":" + std::to_string(static_cast<int>(stream.format().type)) +
            ",\"frame_size\":" + std::to_string(stream.get_frame_size()) + "}";
    }
    return out + "]";
}

hailo_status run_inference(const Options &options, Report &report)
{
    auto vdevice = hailort::VDevice::create();
    if (!vdevice) {
        report.fail(vdevice.status(), "vdevice", "VDevice::create() failed");
        return vdevice.status();
    }
    auto infer_model_exp = vdevice.value()->create_infer_model(options.hef);
    if (!infer_model_exp) {
        report.fail(infer_model_exp.status(), "model", "create_infer_model(\"" + options.hef + "\") failed");
        return infer_model_exp.status();
    }
    std::shared_ptr<hailort::InferModel> infer_model = infer_model_exp.release();
    if (options.batch_size > 0) {
        infer_model->set_batch_size(static_cast<uint16_t>(options.batch_size));
    }
    report.model = "{\"hef\":" + json_string(options.hef) + ",\"inputs\":" + streams_json(infer_model->inputs()) +
        ",\"outputs\":" + streams_json(infer_model->outputs()) + "}";

    auto configured_exp = infer_model->configure();
    if (!configured_exp) {
        report.fail(configured_exp.status(), "configure", "InferModel::configure() failed");
        return configured_exp.status();
    }
    hailort::ConfiguredInferModel configured = configured_exp.release();

    // One set of buffers, reused by every frame: the content does not matter for throughput, and HailoRT only
    // reads the inputs and writes the outputs of jobs in flight.
    auto bindings = configured.create_bindings();
    if (!bindings) {
        report.fail(bindings.status(), "configure", "create_bindings() failed");
        return bindings.status();
    }
    std::vector<std::vector<uint8_t>> buffers;
    buffers.reserve(infer_model->inputs().size() + infer_model->outputs().size());
    for (const auto &input : infer_model->inputs()) {
        buffers.emplace_back(input.get_frame_size());
        for (size_t i = 0; i < buffers.back().size(); i++) {
            buffers.back()[i] = static_cast<uint8_t>(i * 31u);
        }
        auto stream = bindings->input(input.name());
        const auto status = stream ? stream->set_buffer(hailort::MemoryView(buffers.back().data(), buffers.back().size()))
            : stream.status();
        if (HAILO_SUCCESS != status) {
            report.fail(status, "configure", "binding input " + input.name() + " failed");
            return status;
        }
    }
    for (const auto &output : infer_model->outputs()) {
        buffers.emplace_back(output.get_frame_size());
        auto stream = bindings->output(output.name());
        const auto status = stream ? stream->set_buffer(hailort::MemoryView(buffers.back().data(), buffers.back().size()))
            : stream.status();
        if (HAILO_SUCCESS != status) {
            report.fail(status, "configure", "binding output " + output.name() + " failed");
            return status;
        }
    }

    const auto timeout = std::chrono::milliseconds(options.timeout_ms);
    std::vector<Clock::time_point> started(options.frames);
    std::vector<double> latencies(options.frames, NAN);
    std::mutex failure_lock;
    hailo_status callback_status = HAILO_SUCCESS;
    std::vector<hailort::AsyncInferJob> jobs;
    jobs.reserve(options.frames);

    const auto begin = Clock::now();
    for (unsigned long frame = 0; frame < options.frames; frame++) {
        auto status = configured.wait_for_async_ready(timeout, 1);
        if (HAILO_SUCCESS != status) {
            report.fail(status, "infer", "wait_for_async_ready() failed at frame " + std::to_string(frame));
            break;
        }
        started[frame] = Clock::now();
        auto job = configured.run_async(bindings.value(),
            [&, frame](const hailort::AsyncInferCompletionInfo &info) {
                latencies[frame] = std::chrono::duration<double, std::milli>(Clock::now() - started[frame]).count();
                if (HAILO_SUCCESS != info.status) {
                    std::lock_guard<std::mutex> guard(failure_lock);
                    callback_status = info.status;
                }
            });
        if (!job) {
            report.fail(job.status(), "infer", "run_async() failed at frame " + std::to_string(frame));
            break;
        }
        jobs.push_back(job.release());
    }
    hailo_status wait_status = HAILO_SUCCESS;
    for (auto &job : jobs) {
        const auto status = job.wait(timeout);
        if ((HAILO_SUCCESS != status) && (HAILO_SUCCESS == wait_status)) {
            wait_status = status;
        }
    }
    const auto end = Clock::now();
    if (!report.stage.empty()) {
        return report.status;
    }
    if (HAILO_SUCCESS != wait_status) {
        report.fail(wait_status, "infer", "AsyncInferJob::wait() failed");
        return wait_status;
    }
    if (HAILO_SUCCESS != callback_status) {
        report.fail(callback_status, "infer", "an inference completed with an error");
        return callback_status;
    }
    report.frames = options.frames;
    report.seconds = std::chrono::duration<double>(end - begin).count();
    report.latencies_ms = latencies;
    return HAILO_SUCCESS;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    Report report;
    const int usage = parse_options(argc, argv, options, report);
    if (0 != usage) {
        report.print(std::cout);
        std::cerr << USAGE;
        return usage;
    }

    hailo_version_t version{};
    auto status = hailo_get_library_version(&version);
    if (HAILO_SUCCESS != status) {
        report.fail(status, "version", "hailo_get_library_version() failed");
        report.print(std::cout);
        return EXIT_HAILO_FAILURE;
    }
    report.library_version = std::to_string(version.major) + "." + std::to_string(version.minor) + "." +
        std::to_string(version.revision);
    if (report.library_version != BASELINE_HAILORT_VERSION) {
        report.fail(HAILO_INVALID_OPERATION, "version", "libhailort " + report.library_version +
            " is loaded, but this program was built against HailoRT " BASELINE_HAILORT_VERSION "; rebuild it");
        report.print(std::cout);
        return EXIT_VERSION_MISMATCH;
    }

    status = identify_devices(report);
    if (HAILO_SUCCESS == status) {
        status = run_inference(options, report);
    }
    report.print(std::cout);
    return (HAILO_SUCCESS == status) ? 0 : EXIT_HAILO_FAILURE;
}
