// Precompiled header for gateway_core and the unit tests: the heavy, stable library headers.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <yaml-cpp/yaml.h>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
