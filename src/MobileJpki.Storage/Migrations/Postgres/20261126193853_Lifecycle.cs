using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MobileJpki.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Lifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "CrlShard",
                table: "Certificates",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "StatusChangedAt",
                table: "Certificates",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Purpose",
                table: "Applications",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<long>(type: "bigint", nullable: false),
                    Actor = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Target = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Reason = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Source = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Outcome = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PreviousHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "Challenges",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Purpose = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Subject = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    UsedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Challenges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CrlStates",
                columns: table => new
                {
                    Hierarchy = table.Column<int>(type: "integer", nullable: false),
                    Shard = table.Column<int>(type: "integer", nullable: false),
                    LastNumber = table.Column<long>(type: "bigint", nullable: false),
                    LastThisUpdate = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CrlStates", x => new { x.Hierarchy, x.Shard });
                });

            migrationBuilder.CreateTable(
                name: "OcspResponses",
                columns: table => new
                {
                    Serial = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Hierarchy = table.Column<int>(type: "integer", nullable: false),
                    Der = table.Column<byte[]>(type: "bytea", nullable: false),
                    CertStatus = table.Column<int>(type: "integer", nullable: false),
                    ThisUpdate = table.Column<long>(type: "bigint", nullable: false),
                    NextUpdate = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false),
                    Stale = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OcspResponses", x => x.Serial);
                });

            migrationBuilder.CreateTable(
                name: "Operators",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    PasswordHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    PasswordSalt = table.Column<byte[]>(type: "bytea", nullable: false),
                    PasswordIterations = table.Column<int>(type: "integer", nullable: false),
                    Disabled = table.Column<bool>(type: "boolean", nullable: false),
                    FailedSignIns = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Operators", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OperatorSessions",
                columns: table => new
                {
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OperatorId = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    Source = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OperatorSessions", x => x.TokenHash);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Persons_BirthDate",
                table: "Persons",
                column: "BirthDate");

            migrationBuilder.CreateIndex(
                name: "IX_Certificates_Status_Kind",
                table: "Certificates",
                columns: new[] { "Status", "Kind" });

            migrationBuilder.CreateIndex(
                name: "IX_Certificates_StatusChangedAt",
                table: "Certificates",
                column: "StatusChangedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Challenges_ExpiresAt",
                table: "Challenges",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_OcspResponses_Stale_NextUpdate",
                table: "OcspResponses",
                columns: new[] { "Stale", "NextUpdate" });

            migrationBuilder.CreateIndex(
                name: "IX_OcspResponses_UpdatedAt",
                table: "OcspResponses",
                column: "UpdatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Operators_Name",
                table: "Operators",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OperatorSessions_OperatorId",
                table: "OperatorSessions",
                column: "OperatorId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditEntries");

            migrationBuilder.DropTable(
                name: "Challenges");

            migrationBuilder.DropTable(
                name: "CrlStates");

            migrationBuilder.DropTable(
                name: "OcspResponses");

            migrationBuilder.DropTable(
                name: "Operators");

            migrationBuilder.DropTable(
                name: "OperatorSessions");

            migrationBuilder.DropIndex(
                name: "IX_Persons_BirthDate",
                table: "Persons");

            migrationBuilder.DropIndex(
                name: "IX_Certificates_Status_Kind",
                table: "Certificates");

            migrationBuilder.DropIndex(
                name: "IX_Certificates_StatusChangedAt",
                table: "Certificates");

            migrationBuilder.DropColumn(
                name: "CrlShard",
                table: "Certificates");

            migrationBuilder.DropColumn(
                name: "StatusChangedAt",
                table: "Certificates");

            migrationBuilder.DropColumn(
                name: "Purpose",
                table: "Applications");
        }
    }
}
