using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MobileJpki.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EApplicationSignedDigest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "SignedDigest",
                table: "EApplications",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_EApplications_SignedDigest",
                table: "EApplications",
                column: "SignedDigest",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EApplications_SignedDigest",
                table: "EApplications");

            migrationBuilder.DropColumn(
                name: "SignedDigest",
                table: "EApplications");
        }
    }
}
