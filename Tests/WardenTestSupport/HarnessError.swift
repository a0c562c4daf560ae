/// A failure of the test harness itself (a timeout, a socket call, a child that could not be driven), as
/// opposed to a failed expectation about the code under test.
package struct HarnessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
