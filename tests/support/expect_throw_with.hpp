// EXPECT_THROW_WITH(statement, ExceptionType, "substring"): the statement throws that type and
// its what() contains the substring.
#pragma once

#include <gtest/gtest.h>

#include <string>

#define EXPECT_THROW_WITH(statement, ExceptionType, substring)                             \
  do {                                                                                     \
    try {                                                                                  \
      statement;                                                                           \
      ADD_FAILURE() << "expected " #ExceptionType " from: " #statement;                    \
    } catch (const ExceptionType& e) {                                                     \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)                  \
          << "message was: " << e.what() << "\nexpected it to contain: " << (substring);   \
    } catch (const std::exception& e) {                                                    \
      ADD_FAILURE() << "expected " #ExceptionType ", got another exception: " << e.what(); \
    }                                                                                      \
  } while (false)
