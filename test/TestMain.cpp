// The entry point of every GoogleTest executable here, in place of gtest_main.
//
// cpprestsdk's thread pool is never joined, by its design. A client or listener a test has closed may
// still have a few handlers queued there when main returns: a connection finishing its close, a
// continuation of a cancelled task. Nothing is lost in a normal run, but under AddressSanitizer the
// LeakSanitizer check runs at exit, while those handlers are mid-flight, and reports their memory
// (seen in about one of a hundred processes). So a sanitized run gives the pool a moment to go quiet.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
constexpr bool settleBeforeExit = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool settleBeforeExit = true;
#else
constexpr bool settleBeforeExit = false;
#endif
#else
constexpr bool settleBeforeExit = false;
#endif

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    const int result = RUN_ALL_TESTS();
    if (settleBeforeExit)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return result;
}
