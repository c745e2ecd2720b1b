// Load on the local server (bench/compare.py runs it): N clients, each on its own keep-alive connection,
// send one request after another for a fixed time; prints the requests answered, the errors, requests
// per second and the 50th and 99th percentile latency in milliseconds.
//
//   server_load PORT SECONDS CLIENTS PATH [BODY]
//
// PATH is requested with GET, or with POST and BODY as JSON when BODY is given. A client whose
// connection breaks counts an error and connects again. One thread per client: the clients are
// blocked in reads nearly all the time, and a thread each keeps the timing free of any scheduler of ours.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Load
{
    std::string port;
    std::string path;
    std::string body; ///< empty: GET
    Clock::time_point until;
};

struct Tally
{
    std::vector<double> latenciesMs;
    uint64_t errors = 0;
};

http::request<http::string_body> requestOf(const Load& load)
{
    http::request<http::string_body> request{load.body.empty() ? http::verb::get : http::verb::post, load.path, 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, "Bearer sk-bench");
    if (!load.body.empty())
    {
        request.set(http::field::content_type, "application/json");
        request.body() = load.body;
    }
    request.prepare_payload();
    return request;
}

/// One client: requests until the time is up, reconnecting after any error.
Tally drive(const Load& load)
{
    Tally tally;
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve("127.0.0.1", load.port);
    const auto request = requestOf(load);
    beast::flat_buffer buffer;
    while (Clock::now() < load.until)
    {
        beast::tcp_stream stream(io);
        beast::error_code error;
        stream.connect(endpoints, error);
        while (!error && Clock::now() < load.until)
        {
            const auto start = Clock::now();
            http::write(stream, request, error);
            http::response<http::string_body> response;
            if (!error)
            {
                http::read(stream, buffer, response, error);
            }
            if (error || response.result_int() >= 400)
            {
                ++tally.errors;
                break;
            }
            tally.latenciesMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            if (!response.keep_alive())
            {
                break;
            }
        }
        if (error)
        {
            ++tally.errors;
        }
        buffer.clear();
    }
    return tally;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 5)
    {
        std::fprintf(stderr, "usage: server_load PORT SECONDS CLIENTS PATH [BODY]\n");
        return 2;
    }
    const double seconds = std::stod(argv[2]);
    const int clients = std::stoi(argv[3]);
    const Load load{argv[1], argv[4], argc > 5 ? argv[5] : "",
                    Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000))};
    std::mutex mutex;
    Tally all;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(clients));
    const auto start = Clock::now();
    for (int i = 0; i < clients; ++i)
    {
        threads.emplace_back([&] {
            Tally one = drive(load);
            std::lock_guard<std::mutex> lock(mutex);
            all.latenciesMs.insert(all.latenciesMs.end(), one.latenciesMs.begin(), one.latenciesMs.end());
            all.errors += one.errors;
        });
    }
    for (auto& thread : threads)
    {
        thread.join();
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(all.latenciesMs.begin(), all.latenciesMs.end());
    const auto percentile = [&](double share) {
        return all.latenciesMs.empty()
            ? 0.0
            : all.latenciesMs[std::min(all.latenciesMs.size() - 1,
                                       static_cast<size_t>(share * static_cast<double>(all.latenciesMs.size())))];
    };
    std::printf("%zu %llu %.1f %.3f %.3f\n", all.latenciesMs.size(), static_cast<unsigned long long>(all.errors),
                static_cast<double>(all.latenciesMs.size()) / elapsed, percentile(0.50), percentile(0.99));
    return 0;
}
