// SharedSnapshot: null until published, every thread sees what was last published, and a
// reader's copy stays valid after a later publish.
#include <catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "middleware/shared_snapshot.h"

using gw::middleware::SharedSnapshot;

TEST_CASE("shared snapshot: null, then the last value published", "[snapshot]") {
    SharedSnapshot<std::string> snap;
    CHECK(snap.get() == nullptr);
    snap.publish(std::make_shared<const std::string>("one"));
    auto first = snap.get();
    REQUIRE(first);
    CHECK(*first == "one");
    snap.publish(std::make_shared<const std::string>("two"));
    CHECK(*snap.get() == "two");
    CHECK(*first == "one");  // a copy taken earlier keeps its value alive
    snap.publish(nullptr);
    CHECK(snap.get() == nullptr);
}

TEST_CASE("shared snapshot: instances do not share a thread's cache", "[snapshot]") {
    SharedSnapshot<int> a, b;
    a.publish(std::make_shared<const int>(1));
    b.publish(std::make_shared<const int>(2));
    CHECK(*a.get() == 1);
    CHECK(*b.get() == 2);
    a.publish(std::make_shared<const int>(3));
    CHECK(*a.get() == 3);
    CHECK(*b.get() == 2);
}

TEST_CASE("shared snapshot: readers on other threads see every publish in order",
          "[snapshot]") {
    SharedSnapshot<int> snap;
    snap.publish(std::make_shared<const int>(0));
    constexpr int kLast = 2000;
    std::vector<int> failures(4, 0);
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&snap, &failures, t] {
            int seen = 0;
            while (seen < kLast) {  // bounded: the writer reaches kLast
                int v = *snap.get();
                if (v < seen) ++failures[t];  // never backwards
                seen = v;
            }
        });
    }
    for (int i = 1; i <= kLast; ++i) snap.publish(std::make_shared<const int>(i));
    for (auto& r : readers) r.join();
    CHECK(failures == std::vector<int>(4, 0));
}
