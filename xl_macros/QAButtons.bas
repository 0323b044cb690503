Attribute VB_Name = "QAButtons"
' The buttons on the Start sheet of the QA master workbook.
'
' Each button runs one function of the Python package qa_xl (module qa_xl.xl) through
' xlwings' RunPython. Python does the work, writes the results into this workbook and
' reports problems in the data itself (Start sheet status cells and a message box), so
' these subs only have to start it and say so when Python cannot be started at all.
'
' This file is compiled into QA_Master.xlsm by qa_xl.vba (qa-xl new WORKBOOK.xlsm).
' Keep it plain ASCII.
Option Explicit

Public Sub Validate()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.validate()"
    Exit Sub
Failed:
    ShowProblem "Validate", Err.Description
End Sub

Public Sub RollUp()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.rollup()"
    Exit Sub
Failed:
    ShowProblem "Roll up", Err.Description
End Sub

Public Sub IssueReturns()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.issue_returns()"
    Exit Sub
Failed:
    ShowProblem "Issue returns", Err.Description
End Sub

Public Sub ImportReturns()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.import_returns()"
    Exit Sub
Failed:
    ShowProblem "Import returns", Err.Description
End Sub

Public Sub ChaseReturns()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.chase_returns()"
    Exit Sub
Failed:
    ShowProblem "Chase returns", Err.Description
End Sub

Public Sub BuildPack()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.build_pack()"
    Exit Sub
Failed:
    ShowProblem "Build pack", Err.Description
End Sub

Public Sub BuildBoardReport()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.build_board_report()"
    Exit Sub
Failed:
    ShowProblem "Build Board report", Err.Description
End Sub

Public Sub IssueS11()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.s11_issue()"
    Exit Sub
Failed:
    ShowProblem "Issue Section 11 forms", Err.Description
End Sub

Public Sub ImportS11()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.s11_import()"
    Exit Sub
Failed:
    ShowProblem "Import Section 11 forms", Err.Description
End Sub

Public Sub IssueS175()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.s175_issue()"
    Exit Sub
Failed:
    ShowProblem "Issue Section 175/157 forms", Err.Description
End Sub

Public Sub ImportS175()
    On Error GoTo Failed
    RunPython "import qa_xl.xl; qa_xl.xl.s175_import()"
    Exit Sub
Failed:
    ShowProblem "Import Section 175/157 forms", Err.Description
End Sub

Private Sub ShowProblem(ByVal action As String, ByVal description As String)
    MsgBox action & " could not start Python: " & description & vbCrLf & vbCrLf & _
        "Check that Python and the qa_xl package are installed and that xlwings can " & _
        "find them (README, section In Excel).", vbExclamation, "qa_xl"
End Sub
